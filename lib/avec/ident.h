/*
 * ident.h - identifiers that cross a trust boundary, and MAC addresses.
 *
 * Every name that arrives from outside (a RADIUS User-Name, a CAS principal,
 * a device name typed in the portal, a certificate serial) is checked here
 * before it is used as a key; anything else is refused, never "cleaned".
 */
#ifndef AVEC_IDENT_H
#define AVEC_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#define AVEC_MAC_STRLEN 17	/* "aa:bb:cc:dd:ee:ff" */
#define AVEC_DNS_NAME_MAX 253

/* "dv-" followed by 16 characters of [a-z2-7]: the form AVEC issues. */
bool avec_username_valid(const char *s, size_t len);
/* 1..AVEC_PRINCIPAL_MAX bytes of [A-Za-z0-9._@$:-]. */
bool avec_principal_valid(const char *s);
/* 1..AVEC_DEVICE_NAME_MAX bytes of avec_text_valid() text, not all blanks. */
bool avec_device_name_valid(const char *s);

/*
 * avec_utf8_char - length (1..4) of the one printable UTF-8 character at
 * @s, or 0 if the bytes there are not valid UTF-8 (overlong, surrogate,
 * beyond U+10FFFF, truncated) or are a control character (C0, DEL, C1).
 * @s must be NUL-terminated.
 */
size_t avec_utf8_char(const char *s);
/* 1..@max bytes of printable UTF-8 (every character passes avec_utf8_char). */
bool avec_text_valid(const char *s, size_t max);
/* A school's UAI: seven digits and a capital letter ("0450822X"). */
bool avec_uai_valid(const char *s);
/* A host name: LDH labels of 1..63, 1..AVEC_DNS_NAME_MAX bytes in all. */
bool avec_dns_name_valid(const char *s);

/*
 * avec_serial_normalize - a certificate serial as FreeRADIUS prints it.
 * Accepts hex digits of either case with optional ':' separators, 2..40
 * digits, even count.  Writes lowercase hex without separators.
 * Returns: 0, or -1 if @in is not a serial.
 */
int avec_serial_normalize(const char *in, char *out, size_t outlen);

/*
 * avec_mac_normalize - canonical form of a MAC address.
 * Accepts "aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff" and
 * "aabbccddeeff" (hostapd sends the dash form in Calling-Station-Id).
 * Writes "aa:bb:cc:dd:ee:ff" into out[AVEC_MAC_STRLEN + 1].
 * Returns: 0, or -1 if @in is not a MAC address.
 */
int avec_mac_normalize(const char *in, char out[AVEC_MAC_STRLEN + 1]);
/* Is normalised @mac the address of one station (not a group, not zero)? */
bool avec_mac_is_station(const char *mac);

/*
 * avec_username_generate - a fresh random device username ("dv-...").
 * @out must hold AVEC_USERNAME_MAX + 1 bytes.
 * Returns: 0, or -1 if the system's random source failed.
 */
int avec_username_generate(char *out, size_t outlen);

#endif
