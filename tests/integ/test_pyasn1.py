# SPDX-License-Identifier: ISC
#
# Interop of stica's TNAuthList codec with an independent ASN.1 stack:
# pyasn1 with pyasn1-modules' RFC 8226 module (TNAuthorizationList,
# TNEntry, TelephoneNumberRange; EXPLICIT tags, constraints checked).
#
# For each list (SPCs, ranges, single numbers, wildcards, 15-digit numbers,
# INTEGER counts around every length boundary, long SPCs, thousands of
# entries):
#  1. pyasn1 builds the value and DER-encodes it; the bytes must equal
#     "stica tnauthlist encode --der SPEC..." byte for byte;
#  2. pyasn1 decodes stica's DER (no trailing bytes) to the same values;
#  3. "stica tnauthlist decode" reads pyasn1's DER back to the SPECs.
#
# Run by tests/run.sh with /usr/bin/python3; the binary is $STICA.
import os
import random
import subprocess
import sys

from pyasn1.codec.der import decoder as der_decoder
from pyasn1.codec.der import encoder as der_encoder
from pyasn1_modules import rfc8226

STICA = os.environ.get("STICA")
passed = 0
failed = 0


def result(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        if os.environ.get("TH_VERBOSE"):
            print("ok   " + name)
    else:
        failed += 1
        print("FAIL " + name + (": " + detail if detail else ""))


def entry(kind, value, count=None):
    """One TNEntry, built the pyasn1 way."""
    e = rfc8226.TNEntry()
    if kind == "spc":
        e["spc"] = value
    elif kind == "one":
        e["one"] = value
    else:
        r = e["range"]
        r["start"] = value
        r["count"] = count
    return e


def pyasn1_der(entries):
    tl = rfc8226.TNAuthorizationList()
    for kind, value, count in entries:
        tl.append(entry(kind, value, count))
    return der_encoder.encode(tl)


def spec(kind, value, count):
    if kind == "spc":
        return "spc:" + value
    if kind == "one":
        return "tn:" + value
    return "range:%s+%d" % (value, count)


def values_of(decoded):
    """(kind, value, count) triples from a decoded TNAuthorizationList."""
    out = []
    for e in decoded:
        name = e.getName()
        if name == "range":
            out.append(("range", str(e["range"]["start"]),
                        int(e["range"]["count"])))
        else:
            out.append((name, str(e[name]), None))
    return out


def run(args, stdin=None):
    return subprocess.run([STICA, "tnauthlist"] + args, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def check_list(name, entries):
    specs = [spec(*t) for t in entries]
    want = pyasn1_der(entries)
    p = run(["encode", "--der"] + specs)
    result(name + ": stica encode exit 0", p.returncode == 0,
           p.stderr.decode(errors="replace").strip())
    got = p.stdout
    if got == want:
        result(name + ": DER identical to pyasn1 (%d bytes)" % len(want),
               True)
    else:
        i = next((k for k in range(min(len(got), len(want)))
                  if got[k] != want[k]), min(len(got), len(want)))
        result(name + ": DER identical to pyasn1", False,
               "lengths %d/%d, first difference at offset %d: stica %s, "
               "pyasn1 %s" % (len(got), len(want), i, got[i:i + 8].hex(),
                              want[i:i + 8].hex()))
    try:
        dec, rest = der_decoder.decode(
            got, asn1Spec=rfc8226.TNAuthorizationList())
        result(name + ": pyasn1 decodes stica's DER, no trailing bytes",
               rest == b"", "%d trailing bytes" % len(rest))
        vals = values_of(dec)
        diff = next(((a, b) for a, b in zip(vals, entries) if a != b),
                    (len(vals), len(entries)))
        result(name + ": pyasn1 reads stica's values", vals == entries,
               "first difference (pyasn1, expected): %r" % (diff,))
    except Exception as ex:  # pyasn1 raises several error types
        result(name + ": pyasn1 decodes stica's DER", False, repr(ex))
    p = run(["decode", "-"], stdin=want)
    lines = p.stdout.decode().splitlines()
    result(name + ": stica decodes pyasn1's DER to the SPECs",
           p.returncode == 0 and lines == specs,
           p.stderr.decode(errors="replace").strip() or
           "%d lines, first %r" % (len(lines), lines[:2]))


def main():
    if not STICA or not os.access(STICA, os.X_OK):
        print("test_pyasn1: STICA is not set to an executable")
        print("test_pyasn1: 0 passed, 1 failed")
        return 1

    check_list("single SPC", [("spc", "1234", None)])
    check_list("hsm-notes recipe", [
        ("spc", "1234", None),
        ("range", "12025550000", 100),
        ("one", "12025551234", None)])
    check_list("pyasn1-modules mixed vector", [
        ("spc", "bogus", None),
        ("range", "5715551212", 788),
        ("one", "7035551212", None)])
    check_list("wildcards", [
        ("one", "*67#", None), ("one", "#31#", None), ("one", "*", None),
        ("one", "#", None), ("one", "123*456#789", None),
        ("one", "**************#", None)])
    check_list("15-digit numbers", [
        ("one", "999999999999999", None),
        ("one", "000000000000000", None),
        ("range", "100000000000000", 899999999999999),
        ("range", "000000000000000", 999999999999999),
        ("range", "999999999999990", 9)])
    check_list("short numbers", [
        ("one", "0", None), ("one", "9", None), ("range", "0", 9),
        ("range", "1", 8), ("range", "12345", 87654),
        ("range", "00", 99)])
    # INTEGER count: DER length and sign-byte boundaries (X.690 8.3).
    counts = [2, 127, 128, 255, 256, 32767, 32768, 65535, 65536,
              8388607, 8388608, 2 ** 31 - 1, 2 ** 31, 2 ** 32,
              2 ** 39, 2 ** 40 - 1, 2 ** 47, 10 ** 14, 2 ** 49]
    check_list("count length boundaries",
               [("range", "100000000000000", c) for c in counts])
    check_list("SPC alphabet and lengths", [
        ("spc", "A", None), ("spc", "0#X", None), ("spc", "a~z!", None),
        ("spc", "ABC-123_xyz.", None), ("spc", "S" * 127, None),
        ("spc", "L" * 128, None), ("spc", "M" * 255, None)])

    rnd = random.Random(9060)
    big = []
    for i in range(3000):
        k = rnd.randrange(10)
        d = rnd.randint(1, 15)
        if k == 0:
            big.append(("spc", "%d%s" % (rnd.randrange(10 ** 6),
                                         rnd.choice("ABCDEFGHJK")), None))
        elif k < 5:
            start = rnd.randrange(10 ** d - 2)
            big.append(("range", "%0*d" % (d, start),
                        rnd.randint(2, 10 ** d - start - 1)))
        elif k < 9:
            big.append(("one", "%0*d" % (d, rnd.randrange(10 ** d)), None))
        else:
            big.append(("one", "".join(rnd.choice("0123456789*#")
                                       for _ in range(d)), None))
    check_list("3000 random entries", big)
    check_list("one entry repeated", [("one", "12025550100", None)] * 50)

    # pyasn1's own constraints agree with stica's refusals.
    for bad, why in (("range:10+1", "count below 2"),
                     ("tn:1234567890123456", "16 digits"),
                     ("tn:12a", "letter")):
        p = run(["encode", "--der", bad])
        result("stica refuses %s (%s)" % (bad, why),
               p.returncode == 2 and p.stdout == b"")
    try:
        rfc8226.TelephoneNumber("1234567890123456")
        result("pyasn1 refuses 16 digits too", False)
    except Exception:
        result("pyasn1 refuses 16 digits too", True)

    print("test_pyasn1: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
