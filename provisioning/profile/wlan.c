/*
 * wlan.c - Windows WLAN profiles (WLANProfile XML, `netsh wlan add
 * profile`).
 *
 * It owns the EapHostConfig of each method as Windows' own schemas lay it
 * out: EAP-TLS and PEAP through Microsoft's base EAP configuration (author
 * 0), EAP-TTLS through Microsoft's TTLS method (author 311) with PAP
 * inside.  Server validation is always on and never prompts: the server
 * name (ServerNames) and the SHA-1 thumbprint of every CA the profile
 * carries (TrustedRootCA, TTLS: TrustedRootCAHash), current first.  The
 * anonymous outer identity is "anonymous@" and the realm, as in every
 * other profile: RADIUS proxies and the server route on it.
 *
 * It must never carry a credential (the secret or the PKCS#12: the user
 * imports and types them), never write text unescaped, never log.
 */
#include <stdio.h>

#include <openssl/evp.h>

#include "profile_int.h"

#define NS_EAPCOMMON	"http://www.microsoft.com/provisioning/EapCommon"
#define NS_BASEEAP \
	"http://www.microsoft.com/provisioning/BaseEapConnectionPropertiesV1"

/* The CA's SHA-1 thumbprint as Windows writes it: "ab 12 ...". */
static int
thumbprint(const unsigned char *der, size_t len, char out[64],
	   struct avec_err *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (!EVP_Digest(der, len, md, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
		return avec_err_set(err, "cannot hash a CA certificate");
	for (i = 0; i < mdlen; i++)
		snprintf(out + 3 * i, 4, "%02x%s", md[i],
			 i + 1 < mdlen ? " " : "");
	return 0;
}

/* The anonymous outer identity, "anonymous@realm", escaped. */
static void
outer_identity(struct avec_buf *b, const struct avec_profile *p)
{
	char outer[320];	/* "anonymous@" and a DNS name */

	profile_outer_identity(p, outer, sizeof(outer));
	avec_buf_xml(b, outer);
}

static void
server_names(struct avec_buf *b, const struct avec_profile *p)
{
	avec_buf_puts(b, "<ServerNames>");
	avec_buf_xml(b, p->server_name);
	avec_buf_puts(b, "</ServerNames>\n");
}

static void
eap_tls(struct avec_buf *b, const struct avec_profile *p,
	char tp[][64])
{
	unsigned i;

	avec_buf_puts(b,
"<Eap xmlns=\"" NS_BASEEAP "\">\n"
"<Type>13</Type>\n"
"<EapType xmlns=\"http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV1\">\n"
"<CredentialsSource><CertificateStore><SimpleCertSelection>true</SimpleCertSelection></CertificateStore></CredentialsSource>\n"
"<ServerValidation>\n"
"<DisableUserPromptForServerValidation>true</DisableUserPromptForServerValidation>\n");
	server_names(b, p);
	for (i = 0; i < p->nca; i++)
		avec_buf_printf(b, "<TrustedRootCA>%s</TrustedRootCA>\n",
				tp[i]);
	avec_buf_puts(b,
"</ServerValidation>\n"
"<DifferentUsername>false</DifferentUsername>\n"
"<PerformServerValidation xmlns=\"http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2\">true</PerformServerValidation>\n"
"<AcceptServerName xmlns=\"http://www.microsoft.com/provisioning/EapTlsConnectionPropertiesV2\">true</AcceptServerName>\n"
"</EapType>\n"
"</Eap>\n");
}

static void
eap_peap(struct avec_buf *b, const struct avec_profile *p, char tp[][64])
{
	unsigned i;

	avec_buf_puts(b,
"<Eap xmlns=\"" NS_BASEEAP "\">\n"
"<Type>25</Type>\n"
"<EapType xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV1\">\n"
"<ServerValidation>\n"
"<DisableUserPromptForServerValidation>true</DisableUserPromptForServerValidation>\n");
	server_names(b, p);
	for (i = 0; i < p->nca; i++)
		avec_buf_printf(b, "<TrustedRootCA>%s</TrustedRootCA>\n",
				tp[i]);
	avec_buf_puts(b,
"</ServerValidation>\n"
"<FastReconnect>true</FastReconnect>\n"
"<InnerEapOptional>false</InnerEapOptional>\n"
"<Eap xmlns=\"" NS_BASEEAP "\">\n"
"<Type>26</Type>\n"
"<EapType xmlns=\"http://www.microsoft.com/provisioning/MsChapV2ConnectionPropertiesV1\">\n"
"<UseWinLogonCredentials>false</UseWinLogonCredentials>\n"
"</EapType>\n"
"</Eap>\n"
"<EnableQuarantineChecks>false</EnableQuarantineChecks>\n"
"<RequireCryptoBinding>false</RequireCryptoBinding>\n"
"<PeapExtensions>\n"
"<PerformServerValidation xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2\">true</PerformServerValidation>\n"
"<AcceptServerName xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2\">true</AcceptServerName>\n"
"<IdentityPrivacy xmlns=\"http://www.microsoft.com/provisioning/MsPeapConnectionPropertiesV2\">\n"
"<EnableIdentityPrivacy>true</EnableIdentityPrivacy>\n"
"<AnonymousUserName>");
	outer_identity(b, p);
	avec_buf_puts(b, "</AnonymousUserName>\n"
"</IdentityPrivacy>\n"
"</PeapExtensions>\n"
"</EapType>\n"
"</Eap>\n");
}

static void
eap_ttls(struct avec_buf *b, const struct avec_profile *p, char tp[][64])
{
	unsigned i;

	avec_buf_puts(b,
"<EapTtls xmlns=\"http://www.microsoft.com/provisioning/EapTtlsConnectionPropertiesV1\">\n"
"<ServerValidation>\n");
	server_names(b, p);
	for (i = 0; i < p->nca; i++)
		avec_buf_printf(b, "<TrustedRootCAHash>%s</TrustedRootCAHash>\n",
				tp[i]);
	avec_buf_puts(b,
"<DisablePrompt>true</DisablePrompt>\n"
"</ServerValidation>\n"
"<Phase2Authentication>\n"
"<PAPAuthentication/>\n"
"</Phase2Authentication>\n"
"<Phase1Identity>\n"
"<IdentityPrivacy>true</IdentityPrivacy>\n"
"<AnonymousIdentity>");
	outer_identity(b, p);
	avec_buf_puts(b, "</AnonymousIdentity>\n"
"</Phase1Identity>\n"
"</EapTtls>\n");
}

int
avec_profile_wlan_xml(const struct avec_profile *p, struct avec_buf *out,
		      struct avec_err *err)
{
	char tp[AVEC_PROFILE_MAX_CA][64];
	int type;
	unsigned i;

	if (avec_profile_check(p, err) < 0)
		return -1;
	for (i = 0; i < p->nca; i++)
		if (thumbprint(p->ca_der[i], p->ca_len[i], tp[i], err) < 0)
			return -1;
	type = profile_eap_type(p->method);
	avec_buf_puts(out,
"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
"<WLANProfile xmlns=\"http://www.microsoft.com/networking/WLAN/profile/v1\">\n"
"<name>");
	avec_buf_xml(out, p->ssid);
	avec_buf_puts(out, "</name>\n<SSIDConfig>\n<SSID>\n<hex>");
	/* the SSID's bytes, for a name that is not ASCII */
	for (i = 0; p->ssid[i] != '\0'; i++)
		avec_buf_printf(out, "%02X", (unsigned char)p->ssid[i]);
	avec_buf_puts(out, "</hex>\n<name>");
	avec_buf_xml(out, p->ssid);
	avec_buf_puts(out,
"</name>\n</SSID>\n<nonBroadcast>false</nonBroadcast>\n</SSIDConfig>\n"
"<connectionType>ESS</connectionType>\n"
"<connectionMode>auto</connectionMode>\n"
"<MSM>\n<security>\n"
"<authEncryption>\n"
"<authentication>WPA2</authentication>\n"
"<encryption>AES</encryption>\n"
"<useOneX>true</useOneX>\n"
"</authEncryption>\n"
"<OneX xmlns=\"http://www.microsoft.com/networking/OneX/v1\">\n"
"<authMode>user</authMode>\n"
"<EAPConfig>\n"
"<EapHostConfig xmlns=\"http://www.microsoft.com/provisioning/EapHostConfig\">\n"
"<EapMethod>\n");
	avec_buf_printf(out,
"<Type xmlns=\"" NS_EAPCOMMON "\">%d</Type>\n"
"<VendorId xmlns=\"" NS_EAPCOMMON "\">0</VendorId>\n"
"<VendorType xmlns=\"" NS_EAPCOMMON "\">0</VendorType>\n"
"<AuthorId xmlns=\"" NS_EAPCOMMON "\">%d</AuthorId>\n"
"</EapMethod>\n"
"<Config xmlns=\"http://www.microsoft.com/provisioning/EapHostConfig\">\n",
			type, p->method == AVEC_CRED_TTLS ? 311 : 0);
	switch (p->method) {
	case AVEC_CRED_TLS:
		eap_tls(out, p, tp);
		break;
	case AVEC_CRED_PEAP:
		eap_peap(out, p, tp);
		break;
	case AVEC_CRED_TTLS:
		eap_ttls(out, p, tp);
		break;
	case AVEC_CRED_PSK:
	case AVEC_CRED__COUNT:
		return avec_err_set(err, "profile: unknown EAP method");
	}
	avec_buf_puts(out,
"</Config>\n"
"</EapHostConfig>\n"
"</EAPConfig>\n"
"</OneX>\n"
"</security>\n</MSM>\n"
"</WLANProfile>\n");
	if (avec_buf_failed(out))
		return avec_err_set(err, "out of memory writing the profile");
	return 0;
}
