/*
 * cooling/modbus: a real CDU over Modbus TCP or RTU, one device "loop".
 * What the registers mean comes from a map file (cdumap.c, docs/cdu.md), so
 * a new CDU model needs a map, not code.
 *
 * Shape: libmodbus 3.1.6 calls block — up to the response timeout on a
 * silent CDU, longer on a trickling one, and a TCP connect or a name lookup
 * can take seconds — while the agent's loop must never wait on the CDU. So
 * each instance owns one I/O thread that does all Modbus work: it connects
 * (reconnecting with jittered exponential backoff), reads every `poll_ms`
 * the map's points in as few requests as contiguity allows, decodes them and
 * publishes each point's value with the time it was measured, under a mutex.
 * read() on the host's thread only copies those under the mutex and judges
 * age: a value older than `stale_ms` is reported with its `valid` bit clear,
 * so a CDU that went away shows as unknown readings, never as its last
 * readings presented as new. `t_ms` is the measurement time of the oldest
 * value reported.
 *
 * The thread never calls host->log (the ABI does not say it may be called
 * from another thread); it queues lines, capped, and read() and fini() emit
 * them. libmodbus 3.1.6 select()s on its socket and aborts on descriptors
 * ≥ FD_SETSIZE, so the plugin opens the TCP socket itself (libmodbus' own
 * connect select()s too) and moves any descriptor above the limit down, or
 * gives up on that attempt. The float helpers of Debian's libmodbus swap
 * bytes against their documentation; cdumap decodes by hand.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <modbus.h>

#include <pod/plugin.h>
#include <pod/plugin_util.h>

#include "cdumap.h"

#ifndef CDU_MAP_DIR
#define CDU_MAP_DIR "/usr/share/pod/cdu-maps"
#endif

#define NELEM(a)           (sizeof(a) / sizeof((a)[0]))
#define CDU_HOST_MAX       256   /* host name or address, NUL included */
#define CDU_PORT_MAX       8     /* port digits, NUL included */
#define CDU_DEV_MAX        256   /* serial device path, NUL included */
#define CDU_LOGQ_MAX       32    /* lines the thread may queue */
#define CDU_LOGLINE_MAX    256   /* one queued line, NUL included */
#define CDU_BACKOFF_MIN_MS 250   /* first reconnect delay, ms */
#define CDU_BACKOFF_MAX_MS 10000 /* longest reconnect delay, ms */
#define CDU_MODEL_DEFAULT  "Modbus CDU"

struct cdu_conf {
	char map[PATH_MAX];       /* the map file, resolved */
	char host[CDU_HOST_MAX];  /* TCP: CDU address; "" for RTU */
	char port[CDU_PORT_MAX];  /* TCP: port */
	char device[CDU_DEV_MAX]; /* RTU: serial device; "" for TCP */
	int baud;                 /* RTU: bit/s */
	int parity;               /* RTU: 'N', 'E' or 'O' */
	int data_bits;            /* RTU: 5..8 */
	int stop_bits;            /* RTU: 1 or 2 */
	int unit_id;              /* Modbus unit (slave) id */
	int poll_ms;              /* between polls, ms */
	int timeout_ms;           /* response and byte timeout, ms */
	int stale_ms;             /* values older than this are unknown, ms */
};

/* A run of contiguous points of one table, read with one request unless the
 * CDU refused the span once (then point by point). */
struct cdu_block {
	enum cdumap_table table;
	uint16_t addr; /* first register or bit */
	int count;     /* registers or bits */
	int first;     /* its points are ord[first .. first + npt - 1] */
	int npt;
	int split; /* 1: read its points one by one */
};

/* The last answer for one point. */
struct cdu_reading {
	double value;    /* numbers, leak, bit alarms: the decoded value */
	uint32_t raw;    /* alarm words: the raw pattern */
	int ok;          /* 1: value (or raw) holds a reading */
	int64_t mono_ms; /* when it arrived, monotonic ms */
	int64_t wall_ms; /* same, ms since the Unix epoch */
};

struct cdu_logline {
	enum pod_log_level level;
	char text[CDU_LOGLINE_MAX];
};

struct cdu {
	const struct pod_host *host; /* borrowed, valid until fini */
	struct cdu_conf conf;
	struct cdumap *map;                          /* owned */
	char where[CDU_HOST_MAX + CDU_PORT_MAX + 4]; /* "host:port" or dev */
	int ord[CDUMAP_MAX_POINTS]; /* point indices by table, address */
	struct cdu_block block[CDUMAP_MAX_POINTS];
	int nblock;

	/* The I/O thread's own once it runs. */
	modbus_t *mb; /* owned */
	int connected;
	int answering;     /* 1: the last poll got answers */
	int said_down;     /* 1: "not answering" was logged */
	unsigned failures; /* connects failed since the last success */
	uint64_t rng;      /* jitter, splitmix64 */
	char lasterr[128]; /* why the link failed last */
	struct cdu_reading cur[CDUMAP_MAX_POINTS];
	int touched[CDUMAP_MAX_POINTS]; /* 1: cur[i] is from this poll */
	int refused[CDUMAP_MAX_POINTS]; /* 1: the refusal was logged */
	signed char alarm[CDUMAP_MAX_POINTS][CDUMAP_MAX_BITS]; /* -2 unseen */

	pthread_t thread;
	int started; /* 1: thread runs, mu and cv exist */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Under mu. */
	int stop;
	int live_fd; /* TCP: the socket in use, for fini to shut down */
	struct cdu_reading pub[CDUMAP_MAX_POINTS];
	struct cdu_logline logq[CDU_LOGQ_MAX];
	int nlog;
	int logdropped;

	/* The host thread's own. */
	int fresh; /* 1: the last read() reported something; 0: it did not;
	              -1: nothing reported yet */
};

#define CDU_LOG(c, lvl, ...) (c)->host->log((c)->host, (lvl), __VA_ARGS__)

/*
 * The configuration keys. name: the key in [cooling]; type: how the value
 * parses; min, max: accepted range of numbers; rtu: 1 for serial-only keys;
 * off: the int in struct cdu_conf (numbers and parity).
 */
enum cdu_ktype {
	CDU_K_INT,
	CDU_K_MAP,
	CDU_K_ADDRESS,
	CDU_K_DEVICE,
	CDU_K_PARITY
};
static const struct cdu_key {
	const char *name;
	enum cdu_ktype type;
	long min, max;
	int rtu;
	size_t off;
} cdu_keys[] = {
    {"map", CDU_K_MAP, 0, 0, 0, 0},
    {"address", CDU_K_ADDRESS, 0, 0, 0, 0},
    {"device", CDU_K_DEVICE, 0, 0, 1, 0},
    {"baud", CDU_K_INT, 50, 4000000, 1, offsetof(struct cdu_conf, baud)},
    {"parity", CDU_K_PARITY, 0, 0, 1, offsetof(struct cdu_conf, parity)},
    {"data_bits", CDU_K_INT, 5, 8, 1, offsetof(struct cdu_conf, data_bits)},
    {"stop_bits", CDU_K_INT, 1, 2, 1, offsetof(struct cdu_conf, stop_bits)},
    {"unit_id", CDU_K_INT, 0, 255, 0, offsetof(struct cdu_conf, unit_id)},
    {"poll_ms", CDU_K_INT, 100, 3600000, 0, offsetof(struct cdu_conf, poll_ms)},
    {"timeout_ms", CDU_K_INT, 10, 60000, 0,
        offsetof(struct cdu_conf, timeout_ms)},
    {"stale_ms", CDU_K_INT, 200, 86400000, 0,
        offsetof(struct cdu_conf, stale_ms)},
};

/* Serial parities. name: as the config says it; c: as libmodbus wants it. */
static const struct cdu_parity {
	const char *name;
	char c;
} cdu_parities[] = {
    {"none", 'N'},
    {"even", 'E'},
    {"odd", 'O'},
};

/*
 * How each table is read. table: the index, checked at start; max: most
 * registers or bits one request may ask for; regs or bits: the libmodbus
 * call.
 */
static const struct cdu_reader {
	enum cdumap_table table;
	int max;
	int (*regs)(modbus_t *, int, int, uint16_t *);
	int (*bits)(modbus_t *, int, int, uint8_t *);
} cdu_readers[] = {
    {CDUMAP_COIL, MODBUS_MAX_READ_BITS, NULL, modbus_read_bits},
    {CDUMAP_DISCRETE, MODBUS_MAX_READ_BITS, NULL, modbus_read_input_bits},
    {CDUMAP_HOLDING, MODBUS_MAX_READ_REGISTERS, modbus_read_registers, NULL},
    {CDUMAP_INPUT, MODBUS_MAX_READ_REGISTERS, modbus_read_input_registers,
        NULL},
};

static void cdu_logq(struct cdu *c, enum pod_log_level level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* From the I/O thread: queues a line for the host's thread to log. */
static void
cdu_logq(struct cdu *c, enum pod_log_level level, const char *fmt, ...)
{
	struct cdu_logline *l;
	va_list ap;

	pthread_mutex_lock(&c->mu);
	if (c->nlog == CDU_LOGQ_MAX) {
		c->logdropped++;
	} else {
		l = &c->logq[c->nlog++];
		l->level = level;
		va_start(ap, fmt);
		vsnprintf(l->text, sizeof(l->text), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&c->mu);
}

/* On the host's thread: logs what the I/O thread queued. */
static void
cdu_logflush(struct cdu *c)
{
	struct cdu_logline q[CDU_LOGQ_MAX];
	int i, n, dropped;

	pthread_mutex_lock(&c->mu);
	n = c->nlog;
	memcpy(q, c->logq, n * sizeof(q[0]));
	dropped = c->logdropped;
	c->nlog = 0;
	c->logdropped = 0;
	pthread_mutex_unlock(&c->mu);
	for (i = 0; i < n; i++)
		CDU_LOG(c, q[i].level, "%s", q[i].text);
	if (dropped > 0)
		CDU_LOG(c, POD_LOG_WARN, "%d more lines dropped", dropped);
}

static int
cdu_parse_int(const char *v, long min, long max, int *out)
{
	long l;

	if (pod_parse_long(v, min, max, &l) == -1)
		return -1;
	*out = (int)l;
	return 0;
}

/* HOST:PORT, [V6ADDR]:PORT, or HOST alone (port 502). */
static int
cdu_parse_address(const char *v, struct cdu_conf *cf)
{
	const char *host = v, *port = "502", *colon;
	size_t hlen;
	int p;

	if (v[0] == '[') {
		if ((colon = strchr(v, ']')) == NULL)
			return -1;
		host = v + 1;
		hlen = (size_t)(colon - host);
		if (colon[1] == ':')
			port = colon + 2;
		else if (colon[1] != '\0')
			return -1;
	} else if ((colon = strrchr(v, ':')) != NULL) {
		if (strchr(v, ':') != colon)
			return -1; /* a bare IPv6 address: want brackets */
		hlen = (size_t)(colon - v);
		port = colon + 1;
	} else
		hlen = strlen(v);
	if (hlen == 0 || hlen >= sizeof(cf->host) ||
	    cdu_parse_int(port, 1, 65535, &p) == -1)
		return -1;
	snprintf(cf->host, sizeof(cf->host), "%.*s", (int)hlen, host);
	snprintf(cf->port, sizeof(cf->port), "%d", p);
	return 0;
}

/*
 * `map`: an absolute path; a bare name (no '/'), looked up as NAME.map in
 * $POD_CDU_MAP_DIR or else the installed map directory; or a relative path,
 * taken from the directory of the file that sets the key.
 */
static int
cdu_map_path(const struct pod_kv *kv, char *out, size_t len)
{
	const char *v = kv->value, *dir, *ext, *colon, *slash;
	size_t n;
	int r;

	if (v[0] == '\0')
		return -1;
	if (v[0] == '/') {
		r = snprintf(out, len, "%s", v);
	} else if (strchr(v, '/') == NULL) {
		if ((dir = getenv("POD_CDU_MAP_DIR")) == NULL || dir[0] == '\0')
			dir = CDU_MAP_DIR;
		n = strlen(v);
		ext = n > 4 && strcmp(v + n - 4, ".map") == 0 ? "" : ".map";
		r = snprintf(out, len, "%s/%s%s", dir, v, ext);
	} else {
		colon = kv->where != NULL ? strrchr(kv->where, ':') : NULL;
		slash = NULL;
		if (colon != NULL)
			for (dir = kv->where; dir < colon; dir++)
				if (*dir == '/')
					slash = dir;
		if (slash == NULL)
			r = snprintf(out, len, "%s", v);
		else
			r = snprintf(out, len, "%.*s/%s",
			    (int)(slash - kv->where), kv->where, v);
	}
	return r < 0 || (size_t)r >= len ? -1 : 0;
}

/* One key; `seen` tracks repeats. */
static int
cdu_conf_key(const struct pod_host *host, const struct pod_kv *kv,
    struct cdu_conf *cf, uint32_t *seen, const struct pod_kv **rtu_kv)
{
	const struct cdu_key *k = NULL;
	size_t j;

	for (j = 0; j < NELEM(cdu_keys); j++)
		if (strcmp(kv->key, cdu_keys[j].name) == 0)
			k = &cdu_keys[j];
	if (k == NULL) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: unknown key (want map, address, device, baud, "
		    "parity, data_bits, stop_bits, unit_id, poll_ms, "
		    "timeout_ms, stale_ms)",
		    kv->where, kv->key);
		return -1;
	}
	if (*seen & (1u << (k - cdu_keys))) {
		host->log(host, POD_LOG_ERROR, "%s: %s: given twice", kv->where,
		    kv->key);
		return -1;
	}
	*seen |= 1u << (k - cdu_keys);
	if (k->rtu && k->type != CDU_K_DEVICE && *rtu_kv == NULL)
		*rtu_kv = kv;
	switch (k->type) {
	case CDU_K_MAP:
		if (cdu_map_path(kv, cf->map, sizeof(cf->map)) == 0)
			return 0;
		host->log(host, POD_LOG_ERROR, "%s: map: '%s': bad path",
		    kv->where, kv->value);
		return -1;
	case CDU_K_ADDRESS:
		if (cdu_parse_address(kv->value, cf) == 0)
			return 0;
		host->log(host, POD_LOG_ERROR,
		    "%s: address: '%s': want HOST:PORT or [IPV6]:PORT",
		    kv->where, kv->value);
		return -1;
	case CDU_K_DEVICE:
		if (kv->value[0] == '/' &&
		    strlen(kv->value) < sizeof(cf->device)) {
			snprintf(
			    cf->device, sizeof(cf->device), "%s", kv->value);
			return 0;
		}
		host->log(host, POD_LOG_ERROR,
		    "%s: device: '%s': want a serial device path", kv->where,
		    kv->value);
		return -1;
	case CDU_K_PARITY:
		for (j = 0; j < NELEM(cdu_parities); j++)
			if (strcmp(kv->value, cdu_parities[j].name) == 0) {
				*(int *)((char *)cf + k->off) =
				    cdu_parities[j].c;
				return 0;
			}
		host->log(host, POD_LOG_ERROR,
		    "%s: parity: '%s': want none, even or odd", kv->where,
		    kv->value);
		return -1;
	case CDU_K_INT:
		if (cdu_parse_int(kv->value, k->min, k->max,
		        (int *)((char *)cf + k->off)) == 0)
			return 0;
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: '%s': want an integer %ld..%ld", kv->where,
		    kv->key, kv->value, k->min, k->max);
		return -1;
	}
	return -1;
}

static const struct pod_kv *
cdu_conf_find(const struct pod_host *host, const char *key)
{
	int i;

	for (i = host->nconf - 1; i >= 0; i--)
		if (strcmp(host->conf[i].key, key) == 0)
			return &host->conf[i];
	return NULL;
}

/* The keys into *cf, defaults first; errors name the key's file:line. */
static int
cdu_conf_parse(const struct pod_host *host, struct cdu_conf *cf)
{
	const struct pod_kv *rtu_kv = NULL, *kv;
	uint32_t seen = 0;
	int i;

	memset(cf, 0, sizeof(*cf));
	cf->baud = 19200;
	cf->parity = 'E'; /* the Modbus serial line spec's default */
	cf->data_bits = 8;
	cf->stop_bits = 1;
	cf->unit_id = 1;
	cf->poll_ms = 1000;
	cf->timeout_ms = 500;
	cf->stale_ms = 5000;
	for (i = 0; i < host->nconf; i++)
		if (cdu_conf_key(host, &host->conf[i], cf, &seen, &rtu_kv) ==
		    -1)
			return -1;
	if (cf->map[0] == '\0') {
		host->log(host, POD_LOG_ERROR,
		    "[cooling] plugin modbus needs map = FILE");
		return -1;
	}
	if ((cf->host[0] == '\0') == (cf->device[0] == '\0')) {
		kv = cdu_conf_find(host, "device");
		host->log(host, POD_LOG_ERROR,
		    "%s%swant either address = HOST:PORT (Modbus TCP) or "
		    "device = PATH (RTU)",
		    kv ? kv->where : "", kv ? ": " : "");
		return -1;
	}
	if (cf->host[0] != '\0' && rtu_kv != NULL) {
		host->log(host, POD_LOG_ERROR,
		    "%s: %s: only for a serial CDU (device = PATH)",
		    rtu_kv->where, rtu_kv->key);
		return -1;
	}
	if (cf->device[0] != '\0' && (cf->unit_id < 1 || cf->unit_id > 247)) {
		kv = cdu_conf_find(host, "unit_id");
		host->log(host, POD_LOG_ERROR,
		    "%s: unit_id: %d: a serial unit id is 1..247",
		    kv ? kv->where : "?", cf->unit_id);
		return -1;
	}
	if (cf->stale_ms <= cf->poll_ms) {
		if ((kv = cdu_conf_find(host, "stale_ms")) == NULL)
			kv = cdu_conf_find(host, "poll_ms");
		host->log(host, POD_LOG_ERROR,
		    "%s: stale_ms (%d) must exceed poll_ms (%d)",
		    kv ? kv->where : "?", cf->stale_ms, cf->poll_ms);
		return -1;
	}
	return 0;
}

/* Sorts the points by table and address and groups contiguous ones into
 * blocks of at most one request each. Gaps are never bridged: a CDU may
 * refuse a register it does not document. */
static void
cdu_blocks(struct cdu *c)
{
	const struct cdumap *m = c->map;
	const struct cdumap_point *p, *q;
	struct cdu_block *b = NULL;
	int i, j, t, end;

	for (i = 0; i < m->npt; i++) {
		c->ord[i] = i;
		for (j = i; j > 0; j--) {
			p = &m->pt[c->ord[j - 1]];
			q = &m->pt[c->ord[j]];
			if (p->table < q->table ||
			    (p->table == q->table && p->addr <= q->addr))
				break;
			t = c->ord[j - 1];
			c->ord[j - 1] = c->ord[j];
			c->ord[j] = t;
		}
	}
	c->nblock = 0;
	for (i = 0; i < m->npt; i++) {
		p = &m->pt[c->ord[i]];
		end = p->addr + p->nreg;
		if (b != NULL && b->table == p->table &&
		    p->addr <= b->addr + b->count &&
		    (end > b->addr + b->count ? end : b->addr + b->count) -
		            b->addr <=
		        cdu_readers[p->table].max) {
			if (end > b->addr + b->count)
				b->count = end - b->addr;
			b->npt++;
			continue;
		}
		b = &c->block[c->nblock++];
		b->table = p->table;
		b->addr = p->addr;
		b->count = p->nreg;
		b->first = i;
		b->npt = 1;
		b->split = 0;
	}
}

static int
cdu_is_leak(const struct cdumap_point *p)
{
	return p->field >= 0 && cdumap_fields[p->field].flag == POD_F_LEAK;
}

/* 1 when point p feeds a sample field (not only named alarms). */
static int
cdu_feeds(const struct cdumap_point *p)
{
	int b;

	if (p->field >= 0)
		return 1;
	for (b = 0; b < p->nbits; b++)
		if (strcmp(p->bits[b].name, "leak") == 0)
			return 1;
	return 0;
}

/* Moves fd below FD_SETSIZE (libmodbus 3.1.6 select()s on it); -1 and
 * closed when there is no room. */
static int
cdu_lowfd(int fd)
{
	int nfd;

	if (fd < FD_SETSIZE)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	close(fd);
	if (nfd >= FD_SETSIZE) {
		close(nfd);
		nfd = -1;
	}
	if (nfd == -1)
		errno = EMFILE;
	return nfd;
}

/* Makes fd the socket fini shuts down to end a wait on the CDU at once (a
 * connect in progress included); -1 when already stopping. */
static int
cdu_publish(struct cdu *c, int fd)
{
	int stop;

	pthread_mutex_lock(&c->mu);
	if (!(stop = c->stop))
		c->live_fd = fd;
	pthread_mutex_unlock(&c->mu);
	return stop ? -1 : 0;
}

/* Before the socket is closed, so that fini never shuts down a descriptor
 * reused by someone else. */
static void
cdu_unpublish(struct cdu *c)
{
	pthread_mutex_lock(&c->mu);
	c->live_fd = -1;
	pthread_mutex_unlock(&c->mu);
}

/* A TCP connection to the CDU, bounded by timeout_ms per address tried;
 * the blocking descriptor, or -1 with c->lasterr set. */
static int
cdu_tcp_open(struct cdu *c)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct pollfd pfd;
	socklen_t len;
	int fd = -1, rc, soerr, one = 1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(c->conf.host, c->conf.port, &hints, &res)) != 0) {
		snprintf(c->lasterr, sizeof(c->lasterr), "resolve: %s",
		    gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
		    ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd == -1 || (fd = cdu_lowfd(fd)) == -1)
			goto next;
		if (cdu_publish(c, fd) == -1) {
			errno = ECANCELED;
			goto next;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			if (errno != EINPROGRESS)
				goto next;
			pfd.fd = fd;
			pfd.events = POLLOUT;
			if ((rc = poll(&pfd, 1, c->conf.timeout_ms)) <= 0) {
				errno = rc == 0 ? ETIMEDOUT : errno;
				goto next;
			}
			len = sizeof(soerr);
			if (getsockopt(
			        fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
				goto next;
			if (soerr != 0) {
				errno = soerr;
				goto next;
			}
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1)
			goto next;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		freeaddrinfo(res);
		return fd;
	next:
		snprintf(c->lasterr, sizeof(c->lasterr), "connect: %s",
		    strerror(errno));
		if (fd != -1) {
			cdu_unpublish(c);
			close(fd);
		}
		fd = -1;
	}
	freeaddrinfo(res);
	return -1;
}

/* Opens the link; 0, or -1 with c->lasterr set. */
static int
cdu_connect(struct cdu *c)
{
	int fd, nfd;

	if (c->conf.host[0] != '\0') {
		if ((fd = cdu_tcp_open(c)) == -1)
			return -1;
		modbus_set_socket(c->mb, fd);
	} else {
		if (modbus_connect(c->mb) == -1) {
			snprintf(c->lasterr, sizeof(c->lasterr), "open: %s",
			    modbus_strerror(errno));
			return -1;
		}
		fd = modbus_get_socket(c->mb);
		if (fd >= FD_SETSIZE) {
			if ((nfd = cdu_lowfd(dup(fd))) == -1) {
				snprintf(c->lasterr, sizeof(c->lasterr),
				    "descriptor %d above FD_SETSIZE", fd);
				modbus_close(c->mb);
				return -1;
			}
			close(fd);
			modbus_set_socket(c->mb, nfd);
		}
		modbus_flush(c->mb);
	}
	c->connected = 1;
	return 0;
}

static void
cdu_disconnect(struct cdu *c)
{
	if (!c->connected)
		return;
	cdu_unpublish(c);
	modbus_close(c->mb);
	modbus_set_socket(c->mb, -1);
	c->connected = 0;
}

/* The next reconnect delay: doubling from CDU_BACKOFF_MIN_MS to
 * CDU_BACKOFF_MAX_MS, ±20 % so that a pod's agents spread out. */
static int64_t
cdu_backoff(struct cdu *c)
{
	return pod_backoff_ms(c->failures++, CDU_BACKOFF_MIN_MS,
	    CDU_BACKOFF_MAX_MS, 0.2, pod_rand01(&c->rng));
}

/* Reads a span into regs (bits widened to one per element). 0, 1 when the
 * CDU answered with an exception, -1 when the link failed. */
static int
cdu_span(
    struct cdu *c, enum cdumap_table table, int addr, int count, uint16_t *regs)
{
	const struct cdu_reader *r = &cdu_readers[table];
	uint8_t bits[MODBUS_MAX_READ_BITS];
	int i, n;

	if (r->regs != NULL)
		n = r->regs(c->mb, addr, count, regs);
	else
		n = r->bits(c->mb, addr, count, bits);
	if (n == -1 && errno >= EMBXILFUN && errno <= EMBXGTAR) {
		snprintf(c->lasterr, sizeof(c->lasterr), "%s",
		    modbus_strerror(errno));
		return 1;
	}
	if (n != count) {
		snprintf(c->lasterr, sizeof(c->lasterr), "read %s %d: %s",
		    cdumap_table_name(table), addr,
		    n == -1 ? modbus_strerror(errno) : "short answer");
		return -1;
	}
	if (r->bits != NULL)
		for (i = 0; i < count; i++)
			regs[i] = bits[i] != 0;
	return 0;
}

/* Logs alarm bits that changed since the last reading of point i. */
static void
cdu_alarms(struct cdu *c, int i)
{
	const struct cdumap_point *p = &c->map->pt[i];
	const struct cdu_reading *r = &c->cur[i];
	const char *name;
	int b, n, on;

	n = p->type == CDUMAP_BIT ? 1 : p->nbits;
	for (b = 0; b < n; b++) {
		if (p->type == CDUMAP_BIT) {
			if (p->field != CDUMAP_ALARM)
				return;
			name = p->name;
			on = r->ok ? (int)r->value : -1;
		} else {
			name = p->bits[b].name;
			if (strcmp(name, "leak") == 0)
				continue;
			on =
			    r->ok ? cdumap_bit_get(p, &p->bits[b], r->raw) : -1;
		}
		if (on == c->alarm[i][b] || on == -1)
			continue;
		if (on == 1)
			cdu_logq(c, POD_LOG_WARN,
			    "CDU alarm %s on (map line %d)", name, p->line);
		else if (c->alarm[i][b] == 1)
			cdu_logq(c, POD_LOG_INFO, "CDU alarm %s off", name);
		c->alarm[i][b] = (signed char)on;
	}
}

/* Decodes point i from its registers as read at mono_ms / wall_ms. */
static void
cdu_take(struct cdu *c, int i, const uint16_t *regs, int64_t mono_ms,
    int64_t wall_ms)
{
	const struct cdumap_point *p = &c->map->pt[i];
	struct cdu_reading *r = &c->cur[i];

	r->mono_ms = mono_ms;
	r->wall_ms = wall_ms;
	if (p->field == CDUMAP_ALARM && p->type != CDUMAP_BIT) {
		r->raw = cdumap_raw(p, regs);
		r->ok = 1;
	} else
		r->ok = cdumap_value(p, regs, &r->value) == 0;
	c->touched[i] = 1;
	c->refused[i] = 0;
	cdu_alarms(c, i);
}

/* The CDU refused point i on its own: it has no value. */
static void
cdu_refuse(struct cdu *c, int i, int64_t mono_ms, int64_t wall_ms)
{
	const struct cdumap_point *p = &c->map->pt[i];

	c->cur[i].ok = 0;
	c->cur[i].mono_ms = mono_ms;
	c->cur[i].wall_ms = wall_ms;
	c->touched[i] = 1;
	if (!c->refused[i])
		cdu_logq(c, POD_LOG_WARN,
		    "map line %d: %s: the CDU refuses %s %u: %s", p->line,
		    p->name, cdumap_table_name(p->table), p->addr, c->lasterr);
	c->refused[i] = 1;
}

/* Reads block b. 0, or -1 when the link failed. */
static int
cdu_poll_block(struct cdu *c, struct cdu_block *b)
{
	uint16_t regs[MODBUS_MAX_READ_BITS];
	const struct cdumap_point *p;
	int64_t mono_ms, wall_ms;
	int i, k, rc;

	if (!b->split) {
		rc = cdu_span(c, b->table, b->addr, b->count, regs);
		mono_ms = pod_clock_ms(CLOCK_MONOTONIC);
		wall_ms = pod_clock_ms(CLOCK_REALTIME);
		if (rc == -1)
			return -1;
		if (rc == 0) {
			for (k = 0; k < b->npt; k++) {
				i = c->ord[b->first + k];
				cdu_take(c, i,
				    regs + (c->map->pt[i].addr - b->addr),
				    mono_ms, wall_ms);
			}
			return 0;
		}
		if (b->npt > 1) {
			b->split = 1;
			cdu_logq(c, POD_LOG_INFO,
			    "the CDU refuses %s %u..%u at once (%s); reading "
			    "those points one by one",
			    cdumap_table_name(b->table), b->addr,
			    b->addr + b->count - 1, c->lasterr);
		}
	}
	for (k = 0; k < b->npt; k++) {
		i = c->ord[b->first + k];
		p = &c->map->pt[i];
		rc = cdu_span(c, p->table, p->addr, p->nreg, regs);
		mono_ms = pod_clock_ms(CLOCK_MONOTONIC);
		wall_ms = pod_clock_ms(CLOCK_REALTIME);
		if (rc == -1)
			return -1;
		if (rc == 1)
			cdu_refuse(c, i, mono_ms, wall_ms);
		else
			cdu_take(c, i, regs, mono_ms, wall_ms);
	}
	return 0;
}

/* One poll of every point; publishes what it read, even when the link fails
 * half-way. 0, or -1 when the link failed. */
static int
cdu_poll(struct cdu *c)
{
	int i, rc = 0;

	memset(c->touched, 0, sizeof(c->touched));
	for (i = 0; i < c->nblock && rc == 0; i++)
		rc = cdu_poll_block(c, &c->block[i]);
	pthread_mutex_lock(&c->mu);
	for (i = 0; i < c->map->npt; i++)
		if (c->touched[i])
			c->pub[i] = c->cur[i];
	pthread_mutex_unlock(&c->mu);
	return rc;
}

static int
cdu_stopping(struct cdu *c)
{
	int stop;

	pthread_mutex_lock(&c->mu);
	stop = c->stop;
	pthread_mutex_unlock(&c->mu);
	return stop;
}

/* Sleeps until the monotonic deadline or a stop; 1 when stopping. */
static int
cdu_sleep(struct cdu *c, int64_t until_ms)
{
	struct timespec ts;
	int stop;

	pthread_mutex_lock(&c->mu);
	while (!c->stop && pod_clock_ms(CLOCK_MONOTONIC) < until_ms) {
		ts.tv_sec = until_ms / 1000;
		ts.tv_nsec = (until_ms % 1000) * 1000000;
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	}
	stop = c->stop;
	pthread_mutex_unlock(&c->mu);
	return stop;
}

static void
cdu_link_down(struct cdu *c)
{
	if (c->answering || !c->said_down)
		cdu_logq(c, POD_LOG_WARN,
		    "CDU at %s not answering: %s; retrying", c->where,
		    c->lasterr);
	c->answering = 0;
	c->said_down = 1;
}

/* The I/O thread: connect, poll every poll_ms, reconnect with backoff. */
static void *
cdu_main(void *arg)
{
	struct cdu *c = arg;
	int64_t next_ms = pod_clock_ms(CLOCK_MONOTONIC), now_ms;

	while (!cdu_sleep(c, next_ms)) {
		if (!c->connected && cdu_connect(c) == -1) {
			if (cdu_stopping(c))
				break;
			cdu_link_down(c);
			next_ms =
			    pod_clock_ms(CLOCK_MONOTONIC) + cdu_backoff(c);
			continue;
		}
		if (cdu_poll(c) == -1) {
			if (cdu_stopping(c))
				break;
			cdu_disconnect(c);
			cdu_link_down(c);
			next_ms =
			    pod_clock_ms(CLOCK_MONOTONIC) + cdu_backoff(c);
			continue;
		}
		if (!c->answering)
			cdu_logq(c, POD_LOG_INFO,
			    "CDU at %s answering (unit %d, %d points in %d "
			    "requests)",
			    c->where, c->conf.unit_id, c->map->npt, c->nblock);
		c->answering = 1;
		c->failures = 0;
		/* Fixed rate; a poll that overran skips the missed slots. */
		now_ms = pod_clock_ms(CLOCK_MONOTONIC);
		next_ms += c->conf.poll_ms;
		if (next_ms < now_ms)
			next_ms = now_ms;
	}
	cdu_disconnect(c);
	return NULL;
}

static void
cdu_free(struct cdu *c)
{
	if (c == NULL)
		return;
	if (c->started) {
		/* A request waiting on a silent CDU ends at once on a shut
		 * down socket; a connect or a name lookup in progress still
		 * runs to its own end. */
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		if (c->live_fd != -1)
			shutdown(c->live_fd, SHUT_RDWR);
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
		cdu_logflush(c);
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
	}
	if (c->mb != NULL)
		modbus_free(c->mb);
	free(c->map);
	free(c);
}

/* The libmodbus context for the configured link; 0 or -1 (logged). */
static int
cdu_modbus_new(struct cdu *c)
{
	const struct cdu_conf *cf = &c->conf;
	const struct pod_kv *kv;
	uint32_t sec = cf->timeout_ms / 1000,
	         usec = cf->timeout_ms % 1000 * 1000;

	if (cf->host[0] != '\0') {
		c->mb = modbus_new_tcp_pi(cf->host, cf->port);
		snprintf(c->where, sizeof(c->where),
		    strchr(cf->host, ':') ? "[%s]:%s" : "%s:%s", cf->host,
		    cf->port);
	} else {
		c->mb = modbus_new_rtu(cf->device, cf->baud, (char)cf->parity,
		    cf->data_bits, cf->stop_bits);
		snprintf(c->where, sizeof(c->where), "%s", cf->device);
	}
	if (c->mb == NULL) {
		CDU_LOG(c, POD_LOG_ERROR, "%s: %s: %s", __func__, c->where,
		    modbus_strerror(errno));
		return -1;
	}
	if (modbus_set_slave(c->mb, cf->unit_id) == -1) {
		kv = cdu_conf_find(c->host, "unit_id");
		CDU_LOG(c, POD_LOG_ERROR, "%s: unit_id: %d: %s",
		    kv ? kv->where : "?", cf->unit_id, modbus_strerror(errno));
		return -1;
	}
	if (modbus_set_response_timeout(c->mb, sec, usec) == -1 ||
	    modbus_set_byte_timeout(c->mb, sec, usec) == -1) {
		CDU_LOG(c, POD_LOG_ERROR, "%s: timeouts: %s", __func__,
		    modbus_strerror(errno));
		return -1;
	}
	modbus_set_error_recovery(c->mb, MODBUS_ERROR_RECOVERY_NONE);
	return 0;
}

/* Starts the I/O thread with every signal blocked in it: signals are the
 * host's business. */
static int
cdu_thread_start(struct cdu *c)
{
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if ((rc = pthread_condattr_init(&ca)) != 0)
		goto fail;
	if ((rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) != 0 ||
	    (rc = pthread_cond_init(&c->cv, &ca)) != 0) {
		pthread_condattr_destroy(&ca);
		goto fail;
	}
	pthread_condattr_destroy(&ca);
	if ((rc = pthread_mutex_init(&c->mu, NULL)) != 0) {
		pthread_cond_destroy(&c->cv);
		goto fail;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&c->thread, NULL, cdu_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
		goto fail;
	}
	c->started = 1;
	return 0;
fail:
	CDU_LOG(c, POD_LOG_ERROR, "%s: %s", __func__, strerror(rc));
	return -1;
}

static int
cdu_init(const struct pod_host *host, void **ctx)
{
	struct cdu *c = NULL;
	const struct pod_kv *kv;
	char err[512];
	int i, b;

	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->map = calloc(1, sizeof(*c->map))) == NULL) {
		host->log(host, POD_LOG_ERROR, "%s: calloc: %s", __func__,
		    strerror(errno));
		goto fail;
	}
	c->host = host;
	c->rng = host->seed;
	c->fresh = -1;
	c->live_fd = -1;
	for (i = 0; i < (int)NELEM(cdu_readers); i++)
		if (cdu_readers[i].table != (enum cdumap_table)i) {
			host->log(host, POD_LOG_ERROR,
			    "%s: cdu_readers[] out of table order", __func__);
			goto fail;
		}
	if (cdu_conf_parse(host, &c->conf) == -1)
		goto fail;
	if (cdumap_load(c->conf.map, c->map, err, sizeof(err)) == -1) {
		kv = cdu_conf_find(host, "map");
		host->log(host, POD_LOG_ERROR, "%s: map: %s",
		    kv ? kv->where : "?", err);
		goto fail;
	}
	cdu_blocks(c);
	for (i = 0; i < CDUMAP_MAX_POINTS; i++)
		for (b = 0; b < CDUMAP_MAX_BITS; b++)
			c->alarm[i][b] = -2;
	if (cdu_modbus_new(c) == -1 || cdu_thread_start(c) == -1)
		goto fail;
	CDU_LOG(c, POD_LOG_INFO,
	    "CDU %s at %s, map %s (%d points), poll %d ms, stale after %d ms",
	    c->map->model[0] ? c->map->model : CDU_MODEL_DEFAULT, c->where,
	    c->conf.map, c->map->npt, c->conf.poll_ms, c->conf.stale_ms);
	*ctx = c;
	return 0;
fail:
	cdu_free(c);
	return -1;
}

static void
cdu_fini(void *ctx)
{
	cdu_free(ctx);
}

static int
cdu_devices(void *ctx, struct pod_device *out, int max)
{
	struct cdu *c = ctx;

	if (max < 1) {
		CDU_LOG(c, POD_LOG_ERROR, "%s: no room for the loop", __func__);
		return -1;
	}
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "loop");
	snprintf(out->model, sizeof(out->model), "%s",
	    c->map->model[0] ? c->map->model : CDU_MODEL_DEFAULT);
	out->domain = POD_DOMAIN_LOOP;
	out->index = 0;
	out->caps = c->map->caps;
	return 1;
}

/*
 * The last readings younger than stale_ms. Age is judged on the plugin's
 * own monotonic clock, the one the I/O thread stamps readings with, not on
 * `now_ms`: a host may run virtual time, the CDU does not. A leak is known
 * when a fresh source says wet, or when every source is fresh and dry.
 */
static int
cdu_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	struct cdu *c = ctx;
	const struct cdumap *m = c->map;
	const struct cdumap_point *p;
	struct cdu_reading snap[CDUMAP_MAX_POINTS];
	int64_t mono_ms, oldest_ms = INT64_MAX;
	int i, b, fresh, state, wet = 0, unknown = 0, any = 0;

	if (n < 1) {
		CDU_LOG(c, POD_LOG_ERROR, "%s: no room for the loop", __func__);
		return -1;
	}
	pthread_mutex_lock(&c->mu);
	memcpy(snap, c->pub, m->npt * sizeof(snap[0]));
	pthread_mutex_unlock(&c->mu);
	cdu_logflush(c);
	mono_ms = pod_clock_ms(CLOCK_MONOTONIC);

	memset(out, 0, n * sizeof(*out));
	for (i = 0; i < m->npt; i++) {
		p = &m->pt[i];
		fresh =
		    snap[i].ok && mono_ms - snap[i].mono_ms <= c->conf.stale_ms;
		if (fresh && snap[i].wall_ms < oldest_ms && cdu_feeds(p))
			oldest_ms = snap[i].wall_ms;
		if (p->field >= 0 && !cdu_is_leak(p)) {
			if (!fresh)
				continue;
			*(double *)((char *)out + cdumap_fields[p->field].off) =
			    snap[i].value;
			out->valid |= cdumap_fields[p->field].flag;
			continue;
		}
		if (p->field >= 0) {
			any = 1;
			if (!fresh)
				unknown = 1;
			else if (snap[i].value != 0.0)
				wet = 1;
			continue;
		}
		for (b = 0; b < p->nbits; b++) {
			if (strcmp(p->bits[b].name, "leak") != 0)
				continue;
			any = 1;
			state =
			    fresh ? cdumap_bit_get(p, &p->bits[b], snap[i].raw)
			          : -1;
			if (state == -1)
				unknown = 1;
			else if (state == 1)
				wet = 1;
		}
	}
	if (any && (wet || !unknown)) {
		out->valid |= POD_F_LEAK;
		out->leak = wet;
	}
	out->t_ms = oldest_ms != INT64_MAX ? oldest_ms : 0;
	if (c->fresh == 1 && out->valid == 0)
		CDU_LOG(c, POD_LOG_WARN,
		    "no reading from the CDU for over %d ms: reporting the "
		    "loop "
		    "as unknown",
		    c->conf.stale_ms);
	else if (c->fresh == 0 && out->valid != 0)
		CDU_LOG(c, POD_LOG_INFO, "readings from the CDU again");
	if (out->valid != 0)
		c->fresh = 1;
	else if (c->fresh == 1)
		c->fresh = 0;
	(void)now_ms;
	return 0;
}

static const struct pod_plugin_ops cdu_ops = {
    .devices = cdu_devices,
    .read = cdu_read,
    .control = NULL,
    .environ = NULL,
};

/* The descriptor the loader looks up; see include/pod/plugin.h. */
const struct pod_plugin pod_plugin = {
    .abi = POD_PLUGIN_ABI,
    .kind = "cooling",
    .name = "modbus",
    .description = "a CDU over Modbus TCP or RTU, registers from a map file",
    .init = cdu_init,
    .fini = cdu_fini,
    .ops = &cdu_ops,
};
