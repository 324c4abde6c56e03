/*
 * TLS for the REST server: a shared server SSL_CTX made from a PEM
 * certificate chain and key, and swapped for a new one when the files are
 * re-read on SIGHUP. Connections hold a reference to the context they were
 * made with, so a swap never disturbs them.
 */
#ifndef POD_TLS_H
#define POD_TLS_H

#include <stddef.h>

#include <openssl/ssl.h>

/* A server context from the PEM files cert (the certificate, then any
 * intermediates) and key: TLS 1.2 at least, forward-secret AEAD ciphers
 * for TLS 1.2, no renegotiation, and the key checked against the
 * certificate. NULL with the reason logged (naming the file). Caller frees
 * with SSL_CTX_free(). */
SSL_CTX *tls_ctx_new(const char *cert, const char *key);

/* Re-reads cert and key into a new context and swaps it into *ctx (the
 * old one is freed; connections made with it keep their reference). On
 * failure *ctx is kept and -1 returned, with the reason logged. */
int tls_ctx_reload(SSL_CTX **ctx, const char *cert, const char *key);

/* "subject CN, serial HEX, expires DATE" of ctx's certificate into buf,
 * for log lines. */
void tls_describe(SSL_CTX *ctx, char *buf, size_t len);

#endif
