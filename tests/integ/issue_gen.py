#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""Input for stica issue-batch: N JSON lines, one per telephone number
from START on, each with a fresh EC P-256 public key (python3-cryptography)
as base64 DER SubjectPublicKeyInfo or PEM, or as a signed PKCS#10 request.

  issue_gen.py N START [--pem] [--csr] [--ca] [--bad LINE...]

--bad LINE makes that line (1-based) unusable in turn: a malformed SPEC,
a number outside 202-555-01xx, a broken key, not JSON.  Keys are thrown
away: the batch tests judge the certificates, not their use.
"""
import base64
import json
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def main(argv):
    n, start = int(argv[1]), int(argv[2])
    pem = "--pem" in argv
    csr = "--csr" in argv
    ca = "--ca" in argv
    bad = set()
    if "--bad" in argv:
        bad = {int(a) for a in argv[argv.index("--bad") + 1:]}
    out = sys.stdout
    kinds = ["spec", "outside", "key", "json"]
    for i in range(n):
        line = i + 1
        tn = "%d" % (start + i)
        key = ec.generate_private_key(ec.SECP256R1())
        obj = {"tnauthlist": ["tn:" + tn]}
        if csr:
            req = (x509.CertificateSigningRequestBuilder()
                   .subject_name(x509.Name([x509.NameAttribute(
                       NameOID.COMMON_NAME, "TN " + tn)]))
                   .sign(key, hashes.SHA256()))
            obj["csr"] = req.public_bytes(
                serialization.Encoding.PEM).decode()
        else:
            spki = key.public_key().public_bytes(
                serialization.Encoding.PEM if pem else
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo)
            obj["pubkey"] = spki.decode() if pem else \
                base64.b64encode(spki).decode()
        if ca:
            obj["ca"] = True
        if line in bad:
            k = kinds[len([b for b in bad if b < line]) % len(kinds)]
            if k == "spec":
                obj["tnauthlist"] = ["tn:12a"]
            elif k == "outside":
                obj["tnauthlist"] = ["tn:19995550000"]
            elif k == "key":
                obj["pubkey"] = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"
                obj.pop("csr", None)
            else:
                out.write("{not json\n")
                continue
        out.write(json.dumps(obj) + "\n")


if __name__ == "__main__":
    main(sys.argv)
