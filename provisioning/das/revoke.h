/*
 * revoke.h - ending the live sessions of a revoked device or account:
 * the loop avecctl and avecd share.
 *
 * After the store has committed a revocation, every open accounting
 * session of the device (or of every device of the account) is looked up
 * with the NAS it came from; that NAS's DAS gets one Disconnect-Request
 * (das.h), and the outcome is recorded in the store's disconnects table.
 * The caller hears of each outcome through a callback, to print or log it
 * in its own words.  Nothing here logs, and no DAS secret leaves the NAS
 * record, which is wiped once its request is answered.
 */
#ifndef AVEC_DAS_REVOKE_H
#define AVEC_DAS_REVOKE_H

#include <stdint.h>

#include "avec/store.h"
#include "das/das.h"

/*
 * Called once per open session: @nas is the NAS's name (or its address
 * when it is not registered), @o what came back; @recorded is false when
 * the outcome could not be stored (@err then says why).
 */
typedef void (*avec_revoke_report_fn)(int64_t device_id, const char *nas,
				      const struct avec_das_outcome *o,
				      bool recorded, const char *err,
				      void *ctx);

/*
 * avec_revoke_disconnect_device / _account - disconnect the open sessions
 * of device @device_id, or of every device of @principal's account.
 * *count (may be NULL) gets the number of sessions found.
 * Returns: 0, or -1 with @err if the sessions could not be read.
 */
int avec_revoke_disconnect_device(struct avec_store *st, int64_t device_id,
				  avec_revoke_report_fn report, void *ctx,
				  unsigned *count, struct avec_err *err);
int avec_revoke_disconnect_account(struct avec_store *st,
				   const char *principal,
				   avec_revoke_report_fn report, void *ctx,
				   unsigned *count, struct avec_err *err);

#endif
