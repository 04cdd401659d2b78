/*
 * onc.c - ChromeOS Open Network Configuration files (JSON).
 *
 * It owns the UnencryptedConfiguration AVEC gives a Chromebook: every CA
 * as an Authority certificate and one WiFi network (WPA-EAP) whose EAP block
 * pins those CAs (ServerCARefs, no system CAs) and the server name (both
 * DomainSuffixMatch and SubjectAlternativeNameMatch).  GUIDs are the
 * profile's stable UUIDs, so importing twice updates rather than adds.
 *
 * For EAP-TLS the device's certificate is NOT embedded: ChromeOS imports
 * an ONC PKCS#12 only without a password, and AVEC never hands out an
 * unprotected key.  The owner imports the password-protected .p12 in the
 * certificate manager first; the network finds it by a pattern, "a
 * certificate issued by the appliance CA" (ClientCertPattern.IssuerCARef).
 *
 * Strings go through the one JSON escaper (common/json.c).  It must never
 * enable the system CA store or skip the server name, and never log.
 */
#include <stdio.h>

#include "common/json.h"
#include "profile_int.h"

static void
member_str(struct avec_buf *b, const char *indent, const char *key,
	   const char *val, bool more)
{
	avec_buf_printf(b, "%s\"%s\": ", indent, key);
	avec_json_buf_string(b, val);
	avec_buf_puts(b, more ? ",\n" : "\n");
}

int
avec_profile_onc(const struct avec_profile *p, struct avec_buf *out,
		 struct avec_err *err)
{
	char ca_uuid[AVEC_PROFILE_MAX_CA][PROFILE_UUID_LEN];
	char uuid[PROFILE_UUID_LEN];
	char label[16], outer[320];
	const char *in = "          ";
	unsigned i;

	if (avec_profile_check(p, err) < 0)
		return -1;
	avec_buf_puts(out, "{\n  \"Type\": \"UnencryptedConfiguration\",\n"
		      "  \"Certificates\": [\n");
	for (i = 0; i < p->nca; i++) {
		snprintf(label, sizeof(label), "ca%u", i);
		profile_uuid(p, label, ca_uuid[i]);
		avec_buf_printf(out, "    {\n      \"GUID\": \"{%s}\",\n"
				"      \"Type\": \"Authority\",\n"
				"      \"X509\": \"", ca_uuid[i]);
		avec_buf_base64(out, p->ca_der[i], p->ca_len[i]);
		avec_buf_puts(out, "\"\n    }");
		avec_buf_puts(out, i + 1 < p->nca ? ",\n" : "\n");
	}
	profile_uuid(p, "wifi", uuid);
	avec_buf_printf(out, "  ],\n  \"NetworkConfigurations\": [\n    {\n"
			"      \"GUID\": \"{%s}\",\n", uuid);
	member_str(out, "      ", "Name", p->ssid, true);
	avec_buf_puts(out, "      \"Type\": \"WiFi\",\n      \"WiFi\": {\n");
	member_str(out, "        ", "SSID", p->ssid, true);
	avec_buf_puts(out, "        \"Security\": \"WPA-EAP\",\n"
		      "        \"AutoConnect\": true,\n"
		      "        \"EAP\": {\n");
	switch (p->method) {
	case AVEC_CRED_TLS:
		avec_buf_printf(out, "%s\"Outer\": \"EAP-TLS\",\n", in);
		break;
	case AVEC_CRED_TTLS:
		avec_buf_printf(out, "%s\"Outer\": \"EAP-TTLS\",\n"
				"%s\"Inner\": \"PAP\",\n", in, in);
		break;
	case AVEC_CRED_PEAP:
		avec_buf_printf(out, "%s\"Outer\": \"PEAP\",\n"
				"%s\"Inner\": \"MSCHAPv2\",\n", in, in);
		break;
	case AVEC_CRED_PSK:
	case AVEC_CRED__COUNT:
		return avec_err_set(err, "profile: unknown EAP method");
	}
	profile_outer_identity(p, outer, sizeof(outer));
	if (p->method == AVEC_CRED_TLS) {
		member_str(out, in, "Identity", outer, true);
		avec_buf_printf(out, "%s\"ClientCertType\": \"Pattern\",\n"
				"%s\"ClientCertPattern\": { \"IssuerCARef\": [",
				in, in);
		for (i = 0; i < p->nca; i++)
			avec_buf_printf(out, "%s\"{%s}\"", i ? ", " : "",
					ca_uuid[i]);
		avec_buf_puts(out, "] },\n");
	} else {
		member_str(out, in, "Identity", p->username, true);
		member_str(out, in, "Password", p->secret, true);
		member_str(out, in, "AnonymousIdentity", outer, true);
	}
	avec_buf_printf(out, "%s\"SaveCredentials\": true,\n"
			"%s\"UseSystemCAs\": false,\n"
			"%s\"ServerCARefs\": [", in, in, in);
	for (i = 0; i < p->nca; i++)
		avec_buf_printf(out, "%s\"{%s}\"", i ? ", " : "", ca_uuid[i]);
	avec_buf_printf(out, "],\n%s\"DomainSuffixMatch\": [", in);
	avec_json_buf_string(out, p->server_name);
	avec_buf_printf(out, "],\n%s\"SubjectAlternativeNameMatch\": [\n"
			"%s  { \"Type\": \"DNS\", \"Value\": ", in, in);
	avec_json_buf_string(out, p->server_name);
	avec_buf_printf(out, " }\n%s]\n", in);
	avec_buf_puts(out, "        }\n      }\n    }\n  ]\n}\n");
	if (avec_buf_failed(out))
		return avec_err_set(err, "out of memory writing the profile");
	return 0;
}
