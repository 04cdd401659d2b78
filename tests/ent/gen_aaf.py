#!/usr/bin/env python3
"""gen_aaf.py - write synthetic AAF files (ficAlimMENESR) for AVEC's tests.

One school (an EtabEducNat file) with pupils, teachers, staff and parents,
in the shape and naming of the academic export:
  ENT_<UAI>_<Kind>_<date>_<Category>_<NNNN>.xml
Synthetic people only.  Ids: pupils 1000000+i, staff 2000000+i, parents
3000000+i; join keys AC-OT$<id>.

  gen_aaf.py --out DIR [--uai 0450000A] [--struct 4500] [--pupils N]
             [--teachers N] [--staff N] [--parents N] [--drop ID,ID...]
             [--encoding utf-8|iso-8859-15|none] [--crlf] [--split N]
             [--date YYYYMMDD] [--kind Complet] [--full]

--full adds the attributes of a real pupil record that AVEC ignores (about
2.5 KB a pupil, as in a real export): for the size and speed measurement,
e.g. --full --pupils 25000 --teachers 2000 --staff 500 --parents 2500.
"""
import argparse
import os

GIVEN = ["Élodie", "Zoé", "Jérôme", "François", "Anaïs", "Noël", "Léa",
         "Maël", "Inès", "Hélène", "Gaëtan", "Chloé"]
SN = ["Lefèvre", "Müller", "Dupré", "Garçon", "Bérubé", "Martin", "Côté",
      "Benoît", "Petit", "Ménard"]
CLASSES = ["2NDE1", "2NDE2", "1G1", "1G2", "TG1", "TG2"]


def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("'", "&apos;"))


def attr(name, *values):
    if not values:
        return '<attr name="%s"><value/></attr>' % name
    return '<attr name="%s">%s</attr>' % (
        name, "".join("<value>%s</value>" % esc(v) for v in values))


def request(cat_name, cat, ident, attrs):
    return ("<addRequest>\n"
            '<operationalAttributes><attr name="%s"><value>%s</value></attr>'
            "</operationalAttributes>\n"
            "<identifier><id>%s</id></identifier>\n<attributes>\n%s\n"
            "</attributes>\n</addRequest>\n" % (cat_name, cat, ident,
                                               "\n".join(attrs)))


def full_pupil(i, ident):
    """The attributes of a real pupil record AVEC does not use."""
    return [attr("ENTEleveINE", "%09dAA" % (100000000 + i)),
            attr("ENTPersonNomPatro", "NOM"),
            attr("ENTPersonAutresPrenoms", "Prenom", "Deuxieme"),
            attr("personalTitle", "M."),
            attr("ENTElevePersRelEleve", "%d$10$1$1$1$1" % (3000000 + i),
                 "%d$20$0$1$0$0" % (3100000 + i)),
            attr("ENTEleveBoursier", "N"),
            attr("ENTEleveRegime", "DEMI-PENSIONNAIRE DANS L'ETABLISSEMENT"),
            attr("ENTEleveTransport", "N"),
            attr("ENTPersonAdresse", "%d rue de l'Essai$$$" % (i % 200)),
            attr("ENTPersonCodePostal", "45000"),
            attr("ENTPersonVille", "ORLEANS"), attr("ENTPersonPays", "FRANCE"),
            attr("ENTEleveAdresseRel", ident),
            attr("ENTEleveStatutEleve", "SCOLAIRE"),
            attr("ENTEleveMEF", "20110019110"),
            attr("ENTEleveLibelleMEF", "2NDE GENERALE & TECHNO YC BT"),
            attr("ENTEleveNivFormation", "2NDE GENERALE & TECHNOLOGIQUE"),
            attr("ENTEleveFiliere", "2NDE GENERALE & TECHNOLOGIQUE"),
            attr("ENTEleveEnseignements", "ANGLAIS LV1", "ESPAGNOL LV2",
                 "SCIENCES NUMERIQUES ET TECHNOLOGIE", "EDUCATION PHYSIQUE"),
            attr("ENTEleveCodeEnseignements", "030201", "030602", "113800",
                 "100100"),
            attr("ENTEleveDateEntreeClasses", "4500$01/09/2026$2NDE1"),
            attr("ENTEleveDateSortieClasses"),
            attr("ENTPersonMail", "eleve%d@example.invalid" % i),
            attr("ENTEleveMajeur", "N"), attr("ENTPersonSexe", "M")]


def write(path, reqs, enc, crlf):
    head = ""
    if enc == "none":
        codec = "utf-8"
        head = ""
    else:
        codec = enc
        head = '<?xml version="1.0" encoding="%s"?>\n' % enc.upper()
    body = (head + '<!DOCTYPE ficAlimMENESR SYSTEM "ficAlimMENESR.dtd">\n'
            "<ficAlimMENESR>\n<!-- versionAF=\"AAF-VE1301\" -->\n"
            + "".join(reqs) + "</ficAlimMENESR>\n")
    if crlf:
        body = body.replace("\n", "\r\n")
    with open(path, "wb") as f:
        f.write(body.encode(codec))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--uai", default="0450000A")
    ap.add_argument("--struct", default="4500")
    ap.add_argument("--pupils", type=int, default=300)
    ap.add_argument("--teachers", type=int, default=30)
    ap.add_argument("--staff", type=int, default=5)
    ap.add_argument("--parents", type=int, default=100)
    ap.add_argument("--drop", default="")
    ap.add_argument("--encoding", default="utf-8")
    ap.add_argument("--crlf", action="store_true")
    ap.add_argument("--split", type=int, default=0)
    ap.add_argument("--date", default="20260901")
    ap.add_argument("--kind", default="Complet")
    ap.add_argument("--full", action="store_true",
                    help="pupils with the other attributes of a real export "
                    "(about 2.5 KB each), for size and speed measurements")
    a = ap.parse_args()
    drop = set(x for x in a.drop.split(",") if x)
    os.makedirs(a.out, exist_ok=True)
    s = a.struct

    files = {}
    files["EtabEducNat"] = [request("categorieStructure", "EtabEducNat", s, [
        attr("ENTStructureJointure", s), attr("ENTStructureUAI", a.uai),
        attr("ENTStructureNomCourant", "LYCEE GENERAL D'ESSAI"),
        attr("ENTStructureTypeStruct", "LYCEE GENERAL"),
        attr("ENTStructureClasses", *["%s$%s" % (s, c) for c in CLASSES])])]

    def name(i):
        return GIVEN[i % len(GIVEN)], SN[(i // len(GIVEN)) % len(SN)]

    pupils = []
    for i in range(a.pupils):
        ident = str(1000000 + i)
        if ident in drop:
            continue
        g, n = name(i)
        pupils.append(request("categoriePersonne", "Eleve", ident, [
            attr("ENTPersonJointure", "AC-OT$" + ident),
            attr("ENTEleveStructRattachId", s), attr("sn", n),
            attr("givenName", g), attr("ENTPersonDateNaissance", "01/01/2009"),
            attr("ENTPersonStructRattach", s),
            attr("ENTEleveClasses", "%s$%s" % (s, CLASSES[i % len(CLASSES)])),
            attr("ENTEleveGroupes", "%s$LV2-ESP" % s) if i % 3 == 0
            else attr("ENTEleveGroupes")] + (full_pupil(i, ident) if a.full else [])))
    files["Eleve"] = pupils

    staff = []
    for i in range(a.teachers + a.staff):
        ident = str(2000000 + i)
        if ident in drop:
            continue
        g, n = name(i + 5)
        teacher = i < a.teachers
        at = [attr("ENTPersonJointure", "AC-OT$" + ident), attr("sn", n),
              attr("givenName", g), attr("ENTPersonStructRattach", s),
              attr("ENTPersonProfils",
                   "National_ENS" if teacher else "National_EVS")]
        if teacher:
            at.append(attr("ENTAuxEnsClasses", "%s$%s" % (
                s, CLASSES[i % len(CLASSES)])))
        staff.append(request("categoriePersonne", "PersEducNat", ident, at))
    files["PersEducNat"] = staff

    parents = []
    for i in range(a.parents):
        ident = str(3000000 + i)
        if ident in drop:
            continue
        g, n = name(i + 7)
        parents.append(request("categoriePersonne", "PersRelEleve", ident, [
            attr("ENTPersonJointure", "AC-OT$" + ident), attr("sn", n),
            attr("givenName", g), attr("ENTPersonStructRattach", s)]))
    files["PersRelEleve"] = parents

    for cat, reqs in files.items():
        chunks = [reqs]
        if a.split and len(reqs) > a.split:
            chunks = [reqs[k:k + a.split] for k in range(0, len(reqs), a.split)]
        for k, chunk in enumerate(chunks):
            path = os.path.join(a.out, "ENT_%s_%s_%s_%s_%04d.xml" % (
                a.uai, a.kind, a.date, cat, k))
            write(path, chunk, a.encoding, a.crlf)


if __name__ == "__main__":
    main()
