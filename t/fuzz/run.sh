#!/bin/sh
# run.sh -- build every libFuzzer target in t/fuzz/ with clang and run each
# for SECONDS (default 60). Prints one line per target.
secs=${1:-60}
cd "$(dirname "$0")/../.." || exit 111
mkdir -p t/fuzz/bin
rc=0
for src in t/fuzz/*.c; do
	name=$(basename "$src" .c)
	bin=t/fuzz/bin/$name
	corpus=t/fuzz/bin/corpus-$name
	mkdir -p "$corpus"
	[ -d "t/fuzz/seeds/$name" ] && cp -n t/fuzz/seeds/$name/* "$corpus/" 2>/dev/null
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE -Ilib \
	    -o "$bin" "$src" $(ls lib/*.c) \
	    -lldns -lsqlite3 -lyaml -lmicrohttpd -lcurl -lmariadb -lmnl -lpthread -lm; then
		echo "fuzz: $name: build failed"
		rc=1
		continue
	fi
	if "$bin" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
	    "$corpus" >"t/fuzz/bin/$name.log" 2>&1; then
		echo "fuzz: $name: ok ($(grep -c . "t/fuzz/bin/$name.log") log lines, $(ls "$corpus" | wc -l) corpus files)"
	else
		echo "fuzz: $name: FAILED, see t/fuzz/bin/$name.log"
		rc=1
	fi
done
exit $rc
