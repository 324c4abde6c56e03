#!/bin/sh
# core/purity.sh SRCDIR ARCHIVE CC: checks that the core library stays pure
# (ctest core/purity). The core target already gets no include path for
# libevent, SQLite, libcurl, libmodbus or Jansson and links only libm, so
# most slips fail to compile; this catches what a compiler would let by:
#
#  1. an #include of a forbidden header in SRCDIR/*.[ch] (a system header
#     present on every machine, such as <sys/socket.h>, compiles anyway),
#     or of a quoted header that is not a core file;
#  2. an undefined symbol in ARCHIVE that is neither defined by another
#     object of the archive nor exported by libc or libm (or the compiler's
#     runtime, __*), or that is a libc call doing I/O or reading a clock;
#  3. that pure.h still makes each forbidden library's header fail to
#     compile, so the build-time guard is known to be live.
#
# Exit status 0 when pure; otherwise 1, one line per offence on stderr.
set -eu

src=$1
archive=$2
cc=${3:-cc}
bad=0

complain() {
	echo "core/purity: $*" >&2
	bad=1
}

# 1. Includes. Columns of the pattern: what may not be included.
forbidden='event2/|sqlite3\.h|curl/|modbus|jansson\.h|jsonx\.h|sys/socket\.h|netinet/|arpa/inet\.h|netdb\.h|sys/un\.h|sys/epoll\.h|poll\.h|pthread\.h'
for f in "$src"/*.c "$src"/*.h; do
	grep -n '^[[:space:]]*#[[:space:]]*include' "$f" | while IFS= read -r line; do
		hdr=$(printf '%s\n' "$line" |
		    sed 's/^[0-9]*:[[:space:]]*#[[:space:]]*include[[:space:]]*//')
		if printf '%s\n' "$hdr" | grep -Eq "$forbidden"; then
			echo "core/purity: ${f##*/}:${line%%:*}: forbidden include $hdr" >&2
			echo bad
			continue
		fi
		case $hdr in
		\"*\")
			name=${hdr#\"}
			name=${name%\"}
			if [ ! -f "$src/$name" ]; then
				echo "core/purity: ${f##*/}:${line%%:*}: $hdr is not a core header" >&2
				echo bad
			fi
			;;
		esac
	done
done | grep bad >/dev/null && bad=1

# 2. Symbols.
libc=$($cc -print-file-name=libc.so.6)
libm=$($cc -print-file-name=libm.so.6)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -u "$archive" | awk 'NF == 2 { print $2 }' | sort -u >"$tmp/undef"
nm --defined-only "$archive" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/def"
nm -D --defined-only "$libc" "$libm" | awk 'NF == 3 { sub(/@.*/, "", $3); print $3 }' |
    sort -u >"$tmp/libc"
# Forbidden whatever libc says: other libraries by prefix, then the libc
# calls that do I/O or read a clock.
io='^(sqlite3_|event_|evhttp_|evbuffer_|bufferevent_|evconn|curl_|modbus_|json_|jsonx_|log_|fatal)|^(socket|connect|bind|accept|accept4|listen|send|sendto|sendmsg|recv|recvfrom|recvmsg|getaddrinfo|open|openat|fopen|fdopen|read|write|pread|pwrite|fread|fwrite|fprintf|printf|puts|fputs|syslog|time|clock_gettime|gettimeofday|sleep|usleep|nanosleep|getenv|system|fork|execv|execvp|dlopen)$'
comm -23 "$tmp/undef" "$tmp/def" | while IFS= read -r sym; do
	if printf '%s\n' "$sym" | grep -Eq "$io"; then
		echo "core/purity: $(basename "$archive") calls $sym" >&2
		echo bad
	elif ! grep -qx -- "$sym" "$tmp/libc"; then
		case $sym in
		__*) ;; # the compiler's runtime (__popcountdi2, ...)
		*)
			echo "core/purity: $(basename "$archive") needs $sym, from neither libc nor libm" >&2
			echo bad
			;;
		esac
	fi
done | grep bad >/dev/null && bad=1

# 3. The poison in pure.h, header by header.
for hdr in jansson.h sqlite3.h event2/event.h event2/http.h curl/curl.h \
    modbus/modbus.h sys/socket.h netinet/in.h; do
	if printf '#include <%s>\n' "$hdr" |
	    $cc -fsyntax-only -include "$src/pure.h" -x c - 2>/dev/null; then
		complain "pure.h lets <$hdr> compile"
	fi
done

exit $bad
