#!/bin/sh
# run.sh -- build every libFuzzer target in t/fuzz/ with clang and run each
# for SECONDS (default 60), then run the zone differential test
# (t/unit/zonediff) for CASES generated zone texts (default 20000, from
# $FUZZ_CASES) when it is built. Prints one line per target.
#
# Everything a run leaves is kept under fuzz-out/ (or $FUZZ_OUT), which
# `make clean` does not touch: per target its corpus, its log and its
# crash artifacts (crash-*, leak-*, timeout-*, oom-*); for the
# differential test its log and every mismatching zone text.
secs=${1:-60}
cases=${FUZZ_CASES:-20000}
cd "$(dirname "$0")/../.." || exit 111
out=${FUZZ_OUT:-fuzz-out}
mkdir -p t/fuzz/bin "$out" || exit 111
rc=0
for src in t/fuzz/*.c; do
	name=$(basename "$src" .c)
	bin=t/fuzz/bin/$name
	dir=$out/$name
	corpus=$dir/corpus
	log=$dir/log
	mkdir -p "$corpus" || exit 111
	[ -d "t/fuzz/seeds/$name" ] && cp -n t/fuzz/seeds/$name/* "$corpus/" 2>/dev/null
	if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined -D_GNU_SOURCE -DDADNS_VERSION=\"fuzz\" \
	    -Ilib/base -Ilib/pipeline -Ilib/dns -Ilib/vrrp \
	    -o "$bin" "$src" $(ls lib/*/*.c) \
	    -lldns -lsqlite3 -lyaml -lmicrohttpd -lcurl -lmariadb -lmnl -lknot -lgnutls -lnghttp2 -lpthread -lm; then
		echo "fuzz: $name: build failed"
		rc=1
		continue
	fi
	if "$bin" -max_total_time="$secs" -rss_limit_mb=1024 -timeout=10 \
	    -artifact_prefix="$dir/" "$corpus" >"$log" 2>&1; then
		echo "fuzz: $name: ok ($(grep -c . "$log") log lines, $(ls "$corpus" | wc -l) corpus files)"
	else
		echo "fuzz: $name: FAILED, log $log"
		for a in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* \
		    "$dir"/oom-* "$dir"/slow-unit-*; do
			[ -e "$a" ] && echo "fuzz: $name: artifact $a (replay: $bin $a)"
		done
		rc=1
	fi
done
if [ -x t/unit/zonediff ]; then
	seed=${FUZZ_SEED:-$(date +%s)}
	dir=$out/zonediff
	mkdir -p "$dir" || exit 111
	if t/unit/zonediff -f t/fixtures/zone -k "$dir" -s "$seed" \
	    -n "$cases" >"$dir/log" 2>&1; then
		echo "fuzz: zonediff: ok ($(tail -n 1 "$dir/log"))"
	else
		echo "fuzz: zonediff: FAILED (seed $seed), log $dir/log, mismatching texts in $dir/"
		rc=1
	fi
else
	echo "fuzz: zonediff: not built (make t/unit/zonediff)"
	rc=1
fi
exit $rc
