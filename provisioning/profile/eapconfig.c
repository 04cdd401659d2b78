/*
 * eapconfig.c - EAP metadata files (.eap-config), what geteduroam and
 * other EAP configuration tools read on Android, Linux and Windows.
 *
 * It owns the document's shape, which eap-metadata.xsd fixes element by
 * element and in order: the provider (ID = realm), an optional ValidUntil,
 * one AuthenticationMethod (the device's EAP method with the CA(s), the
 * server name and the client credential; for TTLS, PAP as the inner
 * non-EAP method; for PEAP, EAP-MSCHAPv2 as the inner EAP method), the
 * SSID it applies to (CCMP at least), and the school as provider with its
 * helpdesk.
 *
 * It must never write a method without a CA and a ServerID, never emit
 * text unescaped, and never log.
 */
#include <stdio.h>

#include "profile_int.h"

int
avec_profile_eapconfig(const struct avec_profile *p, struct avec_buf *out,
		       struct avec_err *err)
{
	char outer[320], when[32];
	unsigned i;

	if (avec_profile_check(p, err) < 0)
		return -1;
	avec_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<EAPIdentityProviderList xmlns:xsi=\"http://www.w3.org/"
		      "2001/XMLSchema-instance\" xsi:noNamespaceSchemaLocation="
		      "\"eap-metadata.xsd\">\n"
		      "  <EAPIdentityProvider ID=\"");
	avec_buf_xml(out, p->realm);
	avec_buf_puts(out, "\" namespace=\"urn:RFC4282:realm\" version=\"1\" "
		      "lang=\"fr\">\n");
	if (p->expires_at != 0) {
		profile_time(p->expires_at, when);
		avec_buf_printf(out, "    <ValidUntil>%s</ValidUntil>\n", when);
	}
	avec_buf_printf(out, "    <AuthenticationMethods>\n"
			"      <AuthenticationMethod>\n"
			"        <EAPMethod><Type>%d</Type></EAPMethod>\n"
			"        <ServerSideCredential>\n",
			profile_eap_type(p->method));
	for (i = 0; i < p->nca; i++) {
		avec_buf_puts(out, "          <CA format=\"X.509\" "
			      "encoding=\"base64\">");
		avec_buf_base64(out, p->ca_der[i], p->ca_len[i]);
		avec_buf_puts(out, "</CA>\n");
	}
	avec_buf_puts(out, "          <ServerID>");
	avec_buf_xml(out, p->server_name);
	avec_buf_puts(out, "</ServerID>\n"
		      "        </ServerSideCredential>\n"
		      "        <ClientSideCredential>\n"
		      "          <OuterIdentity>");
	profile_outer_identity(p, outer, sizeof(outer));
	avec_buf_xml(out, outer);
	avec_buf_puts(out, "</OuterIdentity>\n");
	if (p->method == AVEC_CRED_TLS) {
		avec_buf_puts(out, "          <ClientCertificate "
			      "format=\"PKCS12\" encoding=\"base64\">");
		avec_buf_base64(out, p->p12, p->p12_len);
		avec_buf_puts(out, "</ClientCertificate>\n"
			      "          <Passphrase>");
		avec_buf_xml(out, p->p12_password);
		avec_buf_puts(out, "</Passphrase>\n");
	} else {
		avec_buf_puts(out, "          <UserName>");
		avec_buf_xml(out, p->username);
		avec_buf_puts(out, "</UserName>\n          <Password>");
		avec_buf_xml(out, p->secret);
		avec_buf_puts(out, "</Password>\n");
	}
	avec_buf_puts(out, "        </ClientSideCredential>\n");
	if (p->method == AVEC_CRED_TTLS)
		avec_buf_puts(out, "        <InnerAuthenticationMethod>\n"
			      "          <NonEAPAuthMethod><Type>1</Type>"
			      "</NonEAPAuthMethod>\n"
			      "        </InnerAuthenticationMethod>\n");
	else if (p->method == AVEC_CRED_PEAP)
		avec_buf_puts(out, "        <InnerAuthenticationMethod>\n"
			      "          <EAPMethod><Type>26</Type>"
			      "</EAPMethod>\n"
			      "        </InnerAuthenticationMethod>\n");
	avec_buf_puts(out, "      </AuthenticationMethod>\n"
		      "    </AuthenticationMethods>\n"
		      "    <CredentialApplicability>\n"
		      "      <IEEE80211>\n        <SSID>");
	avec_buf_xml(out, p->ssid);
	avec_buf_puts(out, "</SSID>\n        <MinRSNProto>CCMP</MinRSNProto>\n"
		      "      </IEEE80211>\n"
		      "    </CredentialApplicability>\n"
		      "    <ProviderInfo>\n      <DisplayName>");
	avec_buf_xml(out, p->school_name);
	avec_buf_puts(out, "</DisplayName>\n");
	if (p->device_name != NULL) {
		avec_buf_puts(out, "      <Description>Appareil « ");
		avec_buf_xml(out, p->device_name);
		avec_buf_puts(out, " »</Description>\n");
	}
	if (p->support_email != NULL || p->support_url != NULL) {
		avec_buf_puts(out, "      <Helpdesk>\n");
		if (p->support_email != NULL) {
			avec_buf_puts(out, "        <EmailAddress>");
			avec_buf_xml(out, p->support_email);
			avec_buf_puts(out, "</EmailAddress>\n");
		}
		if (p->support_url != NULL) {
			avec_buf_puts(out, "        <WebAddress>");
			avec_buf_xml(out, p->support_url);
			avec_buf_puts(out, "</WebAddress>\n");
		}
		avec_buf_puts(out, "      </Helpdesk>\n");
	}
	avec_buf_puts(out, "    </ProviderInfo>\n"
		      "  </EAPIdentityProvider>\n"
		      "</EAPIdentityProviderList>\n");
	if (avec_buf_failed(out))
		return avec_err_set(err, "out of memory writing the profile");
	return 0;
}
