#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""An independent judge of a certificate stica issued, with
python3-cryptography and pyasn1-modules' RFC 8226 module:

  issue_check.py CERT.pem ISSUER.pem (ee|ca) SPEC... [--key PUB.pem]
  issue_check.py --crl CRL.pem ISSUER.pem NUMBER SERIAL:REASON...

For a certificate: it loads; it is signed by ISSUER's key (verified here,
not by OpenSSL); the serial is positive with at least 128 bits; the
basicConstraints (critical) and keyUsage (critical) fit ee or ca; the SKI
is the SHA-1 of the key (RFC 5280 4.2.1.2 method 1) and the AKI the
issuer's SKI; the TNAuthList is non-critical and pyasn1 decodes it
(EXPLICIT tags, DER, no trailing bytes) to exactly the SPECs given, in
order; with --key, the subject key is that key.

For a CRL: it verifies with ISSUER's key, is v2, carries cRLNumber NUMBER
and the issuer's SKI as AKI, and revokes exactly the serials given, each
with its reason ("-" for no reasonCode extension).

Prints "ok" and exits 0, or prints each problem and exits 1.
"""
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import ExtensionOID
from pyasn1.codec.der import decoder as der_decoder
from pyasn1_modules import rfc8226

problems = []


def want(ok, what):
    if not ok:
        problems.append(what)


def load_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def verify_sig(pub, sig, data, hash_alg):
    try:
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(sig, data, ec.ECDSA(hash_alg))
        elif isinstance(pub, rsa.RSAPublicKey):
            pub.verify(sig, data, padding.PKCS1v15(), hash_alg)
        else:
            return False
        return True
    except Exception:
        return False


def tnauth_specs(der):
    tl, rest = der_decoder.decode(der, asn1Spec=rfc8226.TNAuthorizationList())
    if rest:
        raise ValueError("trailing bytes after the TNAuthList")
    out = []
    for e in tl:
        name = e.getName()
        if name == "spc":
            out.append("spc:" + str(e["spc"]))
        elif name == "one":
            out.append("tn:" + str(e["one"]))
        else:
            out.append("range:%s+%d" % (e["range"]["start"],
                                        int(e["range"]["count"])))
    return out


def check_cert(argv):
    cert, issuer = load_cert(argv[0]), load_cert(argv[1])
    kind = argv[2]
    specs = []
    key = None
    i = 3
    while i < len(argv):
        if argv[i] == "--key":
            with open(argv[i + 1], "rb") as f:
                key = serialization.load_pem_public_key(f.read())
            i += 2
        else:
            specs.append(argv[i])
            i += 1
    want(verify_sig(issuer.public_key(), cert.signature,
                    cert.tbs_certificate_bytes,
                    cert.signature_hash_algorithm),
         "the signature does not verify with the issuer's key")
    want(cert.version == x509.Version.v3, "not v3")
    want(cert.issuer == issuer.subject, "issuer name != issuer's subject")
    want(cert.serial_number > 0 and cert.serial_number.bit_length() >= 128,
         "serial %x: not positive with >= 128 bits" % cert.serial_number)
    ext = cert.extensions
    bc = ext.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
    want(bc.critical, "basicConstraints not critical")
    want(bc.value.ca == (kind == "ca"), "basicConstraints cA is %s" %
         bc.value.ca)
    ku = ext.get_extension_for_oid(ExtensionOID.KEY_USAGE)
    want(ku.critical, "keyUsage not critical")
    if kind == "ca":
        want(ku.value.key_cert_sign and not ku.value.digital_signature,
             "CA keyUsage lacks keyCertSign or has digitalSignature")
    else:
        want(ku.value.digital_signature and not ku.value.key_cert_sign and
             not ku.value.crl_sign, "EE keyUsage is not digitalSignature")
    ski = ext.get_extension_for_oid(ExtensionOID.SUBJECT_KEY_IDENTIFIER)
    want(ski.value.digest == x509.SubjectKeyIdentifier.from_public_key(
        cert.public_key()).digest, "SKI is not the SHA-1 of the key")
    aki = ext.get_extension_for_oid(ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    iski = issuer.extensions.get_extension_for_oid(
        ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
    want(aki.value.key_identifier == iski, "AKI is not the issuer's SKI")
    tnl = [e for e in ext if e.oid.dotted_string == "1.3.6.1.5.5.7.1.26"]
    want(len(tnl) == 1, "%d TNAuthList extensions" % len(tnl))
    if len(tnl) == 1:
        want(not tnl[0].critical, "TNAuthList is critical")
        try:
            got = tnauth_specs(tnl[0].value.value)
            want(got == specs, "TNAuthList %s, wanted %s" % (got, specs))
        except Exception as exc:
            problems.append("pyasn1 cannot decode the TNAuthList: %s" % exc)
    if key is not None:
        pk = serialization.PublicFormat.SubjectPublicKeyInfo
        want(cert.public_key().public_bytes(serialization.Encoding.DER, pk)
             == key.public_bytes(serialization.Encoding.DER, pk),
             "the subject key is not the requested key")
    want(cert.not_valid_before <= cert.not_valid_after, "validity reversed")
    want(cert.not_valid_after <= issuer.not_valid_after,
         "notAfter past the issuer's")


def check_crl(argv):
    with open(argv[0], "rb") as f:
        crl = x509.load_pem_x509_crl(f.read())
    issuer = load_cert(argv[1])
    number = int(argv[2])
    want(crl.is_signature_valid(issuer.public_key()),
         "the CRL signature does not verify with the issuer's key")
    want(crl.issuer == issuer.subject, "CRL issuer != issuer's subject")
    num = crl.extensions.get_extension_for_oid(ExtensionOID.CRL_NUMBER)
    want(num.value.crl_number == number, "cRLNumber %d, wanted %d" %
         (num.value.crl_number, number))
    aki = crl.extensions.get_extension_for_oid(
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
    iski = issuer.extensions.get_extension_for_oid(
        ExtensionOID.SUBJECT_KEY_IDENTIFIER).value.digest
    want(aki.value.key_identifier == iski, "CRL AKI is not the issuer's SKI")
    want(crl.next_update > crl.last_update, "nextUpdate not after "
         "thisUpdate")
    wanted = {}
    for a in argv[3:]:
        s, r = a.split(":")
        wanted[int(s, 16)] = r
    got = {}
    for rc in crl:
        try:
            r = rc.extensions.get_extension_for_oid(
                x509.oid.CRLEntryExtensionOID.CRL_REASON).value.reason.name
        except x509.ExtensionNotFound:
            r = "-"
        got[rc.serial_number] = r
    want(got == wanted, "revoked %s, wanted %s" % (
        {"%x" % k: v for k, v in got.items()},
        {"%x" % k: v for k, v in wanted.items()}))


def main(argv):
    try:
        if argv[1] == "--crl":
            check_crl(argv[2:])
        else:
            check_cert(argv[1:])
    except Exception as exc:
        problems.append("%s: %s" % (type(exc).__name__, exc))
    if problems:
        for p in problems:
            print("FAIL " + p)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
