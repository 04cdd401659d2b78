#!/bin/bash
# tests/profile/t_profiles.sh - every device profile format, for every EAP
# method, checked by the tools of the platforms that read them:
#   - eap-config: xmllint, well-formed, and valid against the reference
#     eap-metadata.xsd when the developers' shared folder is there
#     (AVEC_PROFILE_XSD, common.sh's EAP_XSD; otherwise reported skipped);
#   - Apple: openssl cms -verify of the signed profile (against the CA that
#     issued the signing certificate), whose content must be the unsigned
#     profile byte for byte; python3's plistlib reads it; the PKCS#12 it
#     embeds opens with openssl pkcs12 and the password given beside it;
#   - Windows: xmllint (well-formed), server name and CA thumbprint present;
#   - ONC: python3 -m json.tool, CA references resolve;
#   - the QR code SVG is well-formed XML.
# The profiles come from build/tests/profile-sample (a throwaway CA in the
# scratch directory).  Refused profiles' messages must not quote the
# PKCS#12 password or the TTLS/PEAP secret.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"

need xmllint openssl python3
SAMPLE=${PROFILE_SAMPLE:-$AVEC_BUILD/tests/profile-sample}
[ -x "$SAMPLE" ] || skip "$SAMPLE is not built (make profile-sample)"

D=$T_SCRATCH/out
mkdir -p "$D"
if "$SAMPLE" "$D" >"$T_SCRATCH/sample.log" 2>&1; then
	ok "profile-sample wrote the profiles"
else
	fail "profile-sample: $(head -c 300 "$T_SCRATCH/sample.log")"
	finish
fi

# py DESC SCRIPT ARGS... : ok if the python3 snippet exits 0
py() {
	local desc=$1 code=$2
	shift 2
	if python3 -c "$code" "$@" >>"$T_SCRATCH/py.log" 2>&1; then
		ok "$desc"
	else
		fail "$desc: $(tail -n 3 "$T_SCRATCH/py.log")"
	fi
}

for m in tls ttls peap; do
	# eap-config
	check "$m: eap-config is well-formed XML" xmllint --noout "$D/$m.eap-config"
	xsd_check "$m: eap-config validates against eap-metadata.xsd" "$D/$m.eap-config"

	# Apple: the signature, then the plist inside it
	if openssl cms -verify -binary -inform DER -purpose any \
		-in "$D/$m.signed.mobileconfig" -CAfile "$D/ca/ca.pem" \
		-out "$T_SCRATCH/$m.verified" >"$T_SCRATCH/cms.log" 2>&1; then
		ok "$m: openssl cms verifies the signed mobileconfig"
	else
		fail "$m: cms -verify: $(head -c 300 "$T_SCRATCH/cms.log")"
	fi
	check "$m: the signed content is the unsigned profile" \
		cmp -s "$T_SCRATCH/$m.verified" "$D/$m.mobileconfig"
	py "$m: plistlib reads the mobileconfig, payloads as expected" '
import plistlib, sys
m, path = sys.argv[1], sys.argv[2]
d = plistlib.load(open(path, "rb"))
assert d["PayloadType"] == "Configuration" and d["PayloadVersion"] == 1
pl = d["PayloadContent"]
types = [p["PayloadType"] for p in pl]
assert types.count("com.apple.security.root") == 1, types
assert types.count("com.apple.security.pkcs12") == (m == "tls"), types
wifi = [p for p in pl if p["PayloadType"] == "com.apple.wifi.managed"]
assert len(wifi) == 2
sec, onb = wifi
assert sec["AutoJoin"] is True and onb["AutoJoin"] is False
assert sec["EncryptionType"] == "WPA2"
eap = sec["EAPClientConfiguration"]
assert eap["AcceptEAPTypes"] == [{"tls": 13, "ttls": 21, "peap": 25}[m]]
assert eap["TLSTrustedServerNames"] == ["radius.lycee-voltaire.example"]
assert eap["TLSAllowTrustExceptions"] is False
ca = [p for p in pl if p["PayloadType"] == "com.apple.security.root"][0]
assert eap["PayloadCertificateAnchorUUID"] == [ca["PayloadUUID"]]
assert d["PayloadOrganization"] == "Lycée <Voltaire> & \"Fils\" l\x27école"
assert "iPhone de <b>Zoé</b>" in d["PayloadDescription"]
if m == "ttls":
    assert eap["TTLSInnerAuthentication"] == "PAP"
if m == "tls":
    p12 = [p for p in pl if p["PayloadType"] == "com.apple.security.pkcs12"][0]
    assert sec["PayloadCertificateUUID"] == p12["PayloadUUID"]
    open(sys.argv[3], "wb").write(p12["PayloadContent"])
else:
    assert eap["UserPassword"] == open(sys.argv[4]).read()
' "$m" "$D/$m.mobileconfig" "$T_SCRATCH/embedded.p12" "$D/secret.txt"

	# Windows
	if xmllint --noout "$D/$m.wlan.xml" 2>"$T_SCRATCH/xmllint.log"; then
		ok "$m: Windows WLAN profile is well-formed"
	else
		fail "$m: Windows XML: $(head -c 300 "$T_SCRATCH/xmllint.log")"
	fi
	check "$m: Windows profile names the server" \
		grep -q '<ServerNames>radius.lycee-voltaire.example</ServerNames>' \
		"$D/$m.wlan.xml"
	tp=$(openssl x509 -in "$D/ca/ca.pem" -noout -fingerprint -sha1 |
		sed 's/.*=//; s/:/ /g' | tr 'A-F' 'a-f')
	check "$m: Windows profile pins the CA's SHA-1 thumbprint" \
		grep -q "<TrustedRootCA\(Hash\)\?>$tp</TrustedRootCA" "$D/$m.wlan.xml"

	# ChromeOS
	if python3 -m json.tool "$D/$m.onc" >/dev/null 2>"$T_SCRATCH/json.log"; then
		ok "$m: ONC is JSON"
	else
		fail "$m: ONC: $(head -c 300 "$T_SCRATCH/json.log")"
	fi
	py "$m: ONC references its certificates" '
import json, sys
d = json.load(open(sys.argv[1]))
guids = {c["GUID"]: c["Type"] for c in d["Certificates"]}
eap = d["NetworkConfigurations"][0]["WiFi"]["EAP"]
assert eap["ServerCARefs"] and all(guids[g] == "Authority" for g in eap["ServerCARefs"])
assert eap["UseSystemCAs"] is False
assert eap["DomainSuffixMatch"] == ["radius.lycee-voltaire.example"]
if eap["Outer"] == "EAP-TLS":
    assert eap["ClientCertType"] == "Pattern"
    assert all(guids[g] == "Authority" for g in eap["ClientCertPattern"]["IssuerCARef"])
    assert "PKCS12" not in open(sys.argv[1]).read()
' "$D/$m.onc"
done

# the PKCS#12 the TLS mobileconfig embeds
if openssl pkcs12 -info -noout -passin "file:$D/p12-password.txt" \
	-in "$T_SCRATCH/embedded.p12" >"$T_SCRATCH/p12.log" 2>&1; then
	ok "the embedded PKCS#12 opens with its password"
else
	fail "openssl pkcs12: $(head -c 300 "$T_SCRATCH/p12.log")"
fi
printf 'wrong' >"$T_SCRATCH/wrong.txt"
if openssl pkcs12 -info -noout -passin "file:$T_SCRATCH/wrong.txt" \
	-in "$T_SCRATCH/embedded.p12" >/dev/null 2>&1; then
	fail "the embedded PKCS#12 opened with a wrong password"
else
	ok "the embedded PKCS#12 refuses a wrong password"
fi

if xmllint --noout "$D/qr.svg" 2>"$T_SCRATCH/xmllint.log"; then
	ok "QR code SVG is well-formed"
else
	fail "QR SVG: $(head -c 300 "$T_SCRATCH/xmllint.log")"
fi

# refusals: messages, but never a credential in them
check "refused profiles left messages" test -s "$D/errors.txt"
if grep -qF -- "$(cat "$D/p12-password.txt")" "$D/errors.txt" ||
	grep -qF -- "$(cat "$D/secret.txt")" "$D/errors.txt" ||
	grep -qF -- "S3cret" "$D/errors.txt"; then
	fail "an error message quotes a credential"
else
	ok "no error message quotes the PKCS#12 password or the secret"
fi

finish
