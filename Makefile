# dadns -- DirectAdmin DNS pipeline
# GNU make, no configure. `make run` and `make test` install what is missing.

VERSION = 0.11.0

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
# lib/ is four subsystems: the common base, the zone pipeline, the DNS
# frontend and VRRP; a header is included by its bare name.
LIBDIRS = lib/base lib/pipeline lib/dns lib/vrrp
CPPFLAGS += -D_GNU_SOURCE $(addprefix -I,$(LIBDIRS))
CPPFLAGS += -DDADNS_VERSION="\"$(VERSION)\""
LDFLAGS ?=

PROGS = $(patsubst %.c,%,$(wildcard bin/*.c))
LIBSRC = $(wildcard $(addsuffix /*.c,$(LIBDIRS)))
LIBHDR = $(wildcard $(addsuffix /*.h,$(LIBDIRS)))
LIBOBJ = $(LIBSRC:.c=.o)
UNITS = $(patsubst %.c,%,$(wildcard t/unit/*.c))
FUZZ = $(patsubst %.c,%,$(wildcard t/fuzz/*.c))

# Every program links the common library and the system libraries it may
# need; --as-needed keeps the unused ones out of the running process.
LIBS = -Wl,--as-needed -lldns -lsqlite3 -lyaml -lmicrohttpd -lcurl \
	-lmariadb -lmnl -lknot -lgnutls -lnghttp2 \
	-lpthread -lm

# Debian packages, per target: make all builds with DEBS_BUILD; make run
# adds DEBS_RUN (s6 and NSD: etc/run.sh); make test, san and fuzz add
# DEBS_TEST (every daemon and tool a test starts, clang and its sanitizer
# and fuzzer runtime, mandoc for the manual pages); make bench adds
# DEBS_BENCH. t/deps.sh installs the missing ones; DADNS_NO_DEPS=1 skips it.
DEBS_BUILD = build-essential libyaml-dev libsqlite3-dev \
	libcurl4-openssl-dev libldns-dev libmicrohttpd-dev libmariadb-dev \
	libmnl-dev libknot-dev libgnutls28-dev libnghttp2-dev
DEBS_RUN = s6 nsd
DEBS_TEST = clang libclang-rt-14-dev bind9 bind9-utils bind9-dnsutils \
	mariadb-server unbound bats bats-assert bats-support ldnsutils \
	keepalived iproute2 curl jq procps python3 sqlite3 openssl mandoc \
	knot knot-dnsutils fstrm-bin gnutls-bin nghttp2-client
DEBS_BENCH = dnsdist dnsperf nghttp2-client gnutls-bin
# make run's DNS server (etc/run.sh): nsd, knot or bind, and its packages
# beyond DEBS_RUN.
DADNS_SERVER ?= nsd
DEBS_SERVER_nsd =
DEBS_SERVER_knot = knot knot-dnsutils
DEBS_SERVER_bind = bind9 bind9-utils

.PHONY: all deps deps-run deps-bench test check san fuzz run stop bench clean
.PHONY: install uninstall

all: $(PROGS) $(UNITS)

lib/libcommon.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

# A new $(VERSION) reaches the one object that prints it.
lib/base/version.o: Makefile

lib/%.o: lib/%.c $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

bin/%: bin/%.c lib/libcommon.a $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< lib/libcommon.a $(LIBS)

t/unit/%: t/unit/%.c t/unit/check.h lib/libcommon.a $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< lib/libcommon.a $(LIBS)

# Install the missing Debian packages a target needs (via sudo when not
# root). deps is what make test needs; the targets that need packages run
# make again after them, so that make -j never builds before they are in.
deps:
	@sh t/deps.sh $(DEBS_BUILD) $(DEBS_RUN) $(DEBS_TEST)

deps-run:
	@sh t/deps.sh $(strip $(DEBS_BUILD) $(DEBS_RUN) $(DEBS_SERVER_$(DADNS_SERVER)))

deps-bench:
	@sh t/deps.sh $(DEBS_BUILD) $(DEBS_RUN) $(DEBS_TEST) $(DEBS_BENCH)

test: deps
	$(MAKE) all
	@sh t/run-tests.sh

check: all
	@sh t/run-tests.sh

# Sanitizer build: a separate object tree is not needed, clean first.
san: deps
	$(MAKE) clean
	$(MAKE) all CC=clang CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 sh t/run-tests.sh
	$(MAKE) clean

FUZZ_SECONDS ?= 60
FUZZ_CASES ?= 20000
fuzz: deps
	$(MAKE) t/unit/zonediff
	@FUZZ_CASES=$(FUZZ_CASES) sh t/fuzz/run.sh $(FUZZ_SECONDS)

run: deps-run
	$(MAKE) all
	@DADNS_SERVER=$(DADNS_SERVER) sh etc/run.sh start

stop:
	@sh etc/run.sh stop

bench: deps-bench
	$(MAKE) all
	@sh bench/run-all.sh

# The container image's root file system (mmdebstrap, Debian 12) with the
# programs, in IMAGE_ROOT; `make test-image` boots it as a container would.
IMAGE_ROOT ?= image/rootfs
.PHONY: image test-image

etc/container/services: etc/container/services.c lib/libcommon.a $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< lib/libcommon.a $(LIBS)

image: all etc/container/services
	@sh t/deps.sh mmdebstrap
	sh etc/container/build.sh rootfs $(IMAGE_ROOT)

test-image: image
	@IMAGE_ROOT=$(IMAGE_ROOT) sh t/image/run.sh

clean:
	rm -f $(PROGS) $(UNITS) $(FUZZ) lib/*/*.o lib/libcommon.a
	rm -f etc/container/services
	rm -rf t/fuzz/bin

# make install: programs in SBINDIR (daemons and admin tools), pages in
# MANDIR, examples and the s6 service templates in DATADIR, the systemd
# unit in UNITDIR; the instance's app.yml (only if absent) and envdir in
# SYSCONFDIR, its working directory in STATEDIR, the services it runs
# (SCAN_DEFAULT; dadns-enable NAME adds others) in SCANDIR. As root
# without DESTDIR it creates the system user RUN_USER; else it prints how.
PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/dadns
SYSCONFDIR ?= /etc/dadns
STATEDIR ?= /var/lib/dadns
SCANDIR ?= $(STATEDIR)/service
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/systemd/system,/etc/systemd/system)
RUN_USER ?= dadns
SCAN_DEFAULT ?= da-receive zone-write-nsd
INSTALL_ENV = DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' SBINDIR='$(SBINDIR)' \
	MANDIR='$(MANDIR)' DATADIR='$(DATADIR)' SYSCONFDIR='$(SYSCONFDIR)' \
	STATEDIR='$(STATEDIR)' SCANDIR='$(SCANDIR)' UNITDIR='$(UNITDIR)' \
	RUN_USER='$(RUN_USER)' SCAN_DEFAULT='$(SCAN_DEFAULT)'

install: all
	@$(INSTALL_ENV) sh etc/install.sh install $(PROGS)

uninstall:
	@$(INSTALL_ENV) sh etc/install.sh uninstall $(PROGS)
