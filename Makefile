# dadns -- DirectAdmin DNS pipeline
# GNU make, no configure. `make run` and `make test` install what is missing.

CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
# lib/ is four subsystems: the common base, the zone pipeline, the DNS
# frontend and VRRP; a header is included by its bare name.
LIBDIRS = lib/base lib/pipeline lib/dns lib/vrrp
CPPFLAGS += -D_GNU_SOURCE $(addprefix -I,$(LIBDIRS))
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
	-lmariadb -lmnl -lpthread -lm

DEBS_BUILD = build-essential clang libyaml-dev libsqlite3-dev \
	libcurl4-openssl-dev libldns-dev libmicrohttpd-dev libmariadb-dev \
	libmnl-dev pkg-config
DEBS_RUN = s6 nsd bind9 bind9-utils mariadb-server unbound bats bats-assert \
	bats-support bind9-dnsutils ldnsutils keepalived iproute2 curl \
	libclang-rt-14-dev procps sqlite3 openssl mandoc
DEBS_BENCH = dnsdist dnsperf python3

.PHONY: all deps deps-bench test check san fuzz run stop bench clean

all: $(PROGS) $(UNITS)

lib/libcommon.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

lib/%.o: lib/%.c $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) -c -o $@ $<

bin/%: bin/%.c lib/libcommon.a $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< lib/libcommon.a $(LIBS)

t/unit/%: t/unit/%.c lib/libcommon.a $(LIBHDR)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(LDFLAGS) -o $@ $< lib/libcommon.a $(LIBS)

# Install missing Debian packages (via sudo when not root).
deps:
	@sh t/deps.sh $(DEBS_BUILD) $(DEBS_RUN)

deps-bench:
	@sh t/deps.sh $(DEBS_BENCH)

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

run: deps all
	@sh etc/run.sh start

stop:
	@sh etc/run.sh stop

bench: deps deps-bench all
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
