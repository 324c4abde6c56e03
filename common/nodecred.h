/*
 * Node credentials, derived rather than stored (docs/security.md): a
 * node's credential is the lowercase hex of HMAC-SHA256 keyed with the
 * site's 32-byte secret over the node's name. The controller, pod-fleetsim
 * and an administrator with `openssl dgst` all compute the same value, so
 * nothing per node is kept anywhere but on the node itself.
 */
#ifndef POD_NODECRED_H
#define POD_NODECRED_H

#include <stddef.h>

#define NODECRED_SECRET_LEN 32                        /* bytes */
#define NODECRED_HEX_LEN    (2 * NODECRED_SECRET_LEN) /* hex chars */
#define NODECRED_BUF        (NODECRED_HEX_LEN + 1)    /* with the NUL */

/* Writes the credential of node `name` under `secret` (32 bytes) into
 * out_hex (NODECRED_BUF bytes, NUL-terminated). 0, or -1 if libcrypto
 * failed (out_hex then ""). */
int nodecred_derive(const unsigned char secret[NODECRED_SECRET_LEN],
    const char *name, char out_hex[NODECRED_BUF]);
/* Decodes text (64 hex chars, surrounding white space ignored) into
 * secret. 0, or -1 when it is anything else. */
int nodecred_parse_secret(
    const char *text, unsigned char secret[NODECRED_SECRET_LEN]);
/* Reads a file holding 64 hex chars (a secret or a credential) into
 * out_hex (NODECRED_BUF bytes), refusing a file that others may read
 * (any group or other permission bit when strict, else others' only).
 * 0, or -1 with why in err ("PATH: ..."). */
int nodecred_read_file(const char *path, int strict, char out_hex[NODECRED_BUF],
    char *err, size_t errlen);

#endif
