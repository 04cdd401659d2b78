/*
 * qr.c - QR codes as SVG, for the portal's pages (a link to open in the
 * real browser, the values to type by hand, a PSK device's network and
 * key), and the text of a Wi-Fi network's QR code ("WIFI:...").
 *
 * It owns the drawing: libqrencode makes the matrix (error correction
 * level M, 8-bit mode), this file draws each row's runs of dark modules as
 * one path, inside a four-module quiet zone, with explicit width and
 * height and a <title> that screen readers announce.  The title is
 * escaped; the encoded text never appears in the SVG as text.  It never
 * logs.
 */
#include <errno.h>
#include <string.h>

#include <qrencode.h>

#include "avec/ident.h"
#include "profile.h"

#define QUIET	4	/* modules of white around the code */
#define SCALE	4	/* pixels per module at the nominal size */

int
avec_qr_svg(const char *text, const char *title, struct avec_buf *out,
	    struct avec_err *err)
{
	QRcode *qr;
	int x, y, n, side;

	if (text == NULL || text[0] == '\0' || strlen(text) > AVEC_QR_TEXT_MAX)
		return avec_err_set(err, "QR code: the text needs 1 to %d "
				    "bytes", AVEC_QR_TEXT_MAX);
	if (!avec_text_valid(title, 256))
		return avec_err_set(err, "QR code: the title must be "
				    "printable UTF-8");
	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
	if (qr == NULL)
		return avec_err_set(err, "QR code: cannot encode the text: %s",
				    strerror(errno));
	n = qr->width;
	side = n + 2 * QUIET;
	avec_buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
			"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
			"role=\"img\" shape-rendering=\"crispEdges\">\n"
			"<title>", side * SCALE, side * SCALE, side, side);
	avec_buf_xml(out, title);
	avec_buf_printf(out, "</title>\n<rect width=\"%d\" height=\"%d\" "
			"fill=\"#fff\"/>\n<path fill=\"#000\" d=\"", side,
			side);
	for (y = 0; y < n; y++) {
		for (x = 0; x < n; x++) {
			int run = 0;

			while (x + run < n && (qr->data[y * n + x + run] & 1))
				run++;
			if (run == 0)
				continue;
			avec_buf_printf(out, "M%d %dh%dv1h-%dz", x + QUIET,
					y + QUIET, run, run);
			x += run;
		}
	}
	avec_buf_puts(out, "\"/>\n</svg>\n");
	QRcode_free(qr);
	if (avec_buf_failed(out))
		return avec_err_set(err, "out of memory writing the QR code");
	return 0;
}

/* The WIFI: field syntax: \ ; , : " are escaped by a backslash. */
static void
wifi_field(struct avec_buf *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\;,:\"", *s) != NULL)
			avec_buf_append(out, "\\", 1);
		avec_buf_append(out, s, 1);
	}
}

int
avec_qr_wifi_text(const char *ssid, const char *key, struct avec_buf *out,
		  struct avec_err *err)
{
	if (ssid == NULL || ssid[0] == '\0' || strlen(ssid) > 32)
		return avec_err_set(err, "Wi-Fi QR code: the SSID needs 1 to "
				    "32 bytes");
	if (key == NULL || strlen(key) < 8 || strlen(key) > 63)
		return avec_err_set(err, "Wi-Fi QR code: a WPA key has 8 to "
				    "63 characters");
	avec_buf_puts(out, "WIFI:T:WPA;S:");
	wifi_field(out, ssid);
	avec_buf_puts(out, ";P:");
	wifi_field(out, key);
	avec_buf_puts(out, ";;");
	if (avec_buf_failed(out))
		return avec_err_set(err, "out of memory writing the QR text");
	return 0;
}
