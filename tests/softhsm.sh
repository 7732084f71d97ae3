# SPDX-License-Identifier: ISC
#
# tests/softhsm.sh: throwaway SoftHSM2 tokens for tests and benchmarks.
# Source it from a POSIX shell script ('. "$STICA_TOP/tests/softhsm.sh"');
# it never touches the system token directory (/var/lib/softhsm/tokens):
# every token lives in a private temporary directory with its own
# SOFTHSM2_CONF, and every PIN is random and kept in a 0600 file.
#
# Functions
#
#   softhsm_setup [LABEL]
#       Create a temporary directory, a private softhsm2.conf (exported as
#       SOFTHSM2_CONF) and one initialised token labelled LABEL (default
#       "stica-test") with random user and SO PINs.  Sets and exports:
#         SOFTHSM_DIR       the temporary directory (holds everything)
#         SOFTHSM_TOKENDIR  the token directory inside it
#         SOFTHSM_MODULE    the PKCS#11 module (/usr/lib/softhsm/libsofthsm2.so,
#                           or $STICA_PKCS11_MODULE when set)
#         SOFTHSM_LABEL     LABEL
#         SOFTHSM_PIN_FILE  file holding the user PIN (mode 0600, no newline)
#         SOFTHSM_SO_PIN_FILE  file holding the SO PIN (mode 0600)
#         SOFTHSM_URI       pkcs11:token=LABEL;pin-source=file:$SOFTHSM_PIN_FILE
#         STICA_PKCS11_MODULE  = SOFTHSM_MODULE (what stica reads by default)
#       Returns non-zero, with a message on stderr, if anything fails.
#
#   softhsm_add_token LABEL
#       Initialise one more token, labelled LABEL, in the same directory,
#       with the same PINs.  Prints nothing; returns non-zero on failure.
#       (softhsm2-util takes the throwaway PINs on its command line.)
#
#   softhsm_pin
#       Print the user PIN on stdout (for tools that insist on one, such as
#       GNUTLS_PIN="$(softhsm_pin)" p11tool ...).  Keep it out of argv.
#
#   softhsm_keygen_tool LABEL [TYPE]
#       Make a key pair with pkcs11-tool (TYPE defaults to EC:prime256v1),
#       for tests that need a key not made by stica.  The PIN is passed on
#       pkcs11-tool's command line: tests only, never in stica itself.
#
#   softhsm_cleanup
#       Remove SOFTHSM_DIR.  softhsm_setup does not install a trap, so the
#       caller decides; a typical script does
#         trap 'softhsm_cleanup; rm -rf "$T_TMP"' EXIT
#
# The SoftHSM2 configuration written here sets log.level = ERROR and
# objectstore.backend = file, so a token is a plain directory that tests may
# move away and back to simulate a token being removed and reinserted.

softhsm_setup() {
	_sh_label=${1:-stica-test}
	SOFTHSM_MODULE=${STICA_PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}
	if [ ! -r "$SOFTHSM_MODULE" ]; then
		echo "softhsm_setup: no PKCS#11 module at $SOFTHSM_MODULE" >&2
		return 1
	fi
	command -v softhsm2-util >/dev/null 2>&1 || {
		echo "softhsm_setup: softhsm2-util not installed" >&2
		return 1
	}
	SOFTHSM_DIR=$(mktemp -d "${TMPDIR:-/tmp}/stica-softhsm.XXXXXX") ||
		return 1
	chmod 700 "$SOFTHSM_DIR"
	SOFTHSM_TOKENDIR=$SOFTHSM_DIR/tokens
	mkdir "$SOFTHSM_TOKENDIR" || return 1
	cat >"$SOFTHSM_DIR/softhsm2.conf" <<EOF
directories.tokendir = $SOFTHSM_TOKENDIR
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
	SOFTHSM2_CONF=$SOFTHSM_DIR/softhsm2.conf
	SOFTHSM_PIN_FILE=$SOFTHSM_DIR/user.pin
	SOFTHSM_SO_PIN_FILE=$SOFTHSM_DIR/so.pin
	(
		umask 077
		# 8 random decimal digits each; SoftHSM wants 4..255 bytes.
		od -An -N8 -tu1 /dev/urandom |
		    awk '{ for (i = 1; i <= NF; i++) printf "%d", $i % 10 }' \
		    >"$SOFTHSM_PIN_FILE"
		od -An -N8 -tu1 /dev/urandom |
		    awk '{ for (i = 1; i <= NF; i++) printf "%d", $i % 10 }' \
		    >"$SOFTHSM_SO_PIN_FILE"
	) || return 1
	SOFTHSM_LABEL=$_sh_label
	SOFTHSM_URI="pkcs11:token=$_sh_label;pin-source=file:$SOFTHSM_PIN_FILE"
	STICA_PKCS11_MODULE=$SOFTHSM_MODULE
	export SOFTHSM2_CONF SOFTHSM_DIR SOFTHSM_TOKENDIR SOFTHSM_MODULE \
	    SOFTHSM_LABEL SOFTHSM_PIN_FILE SOFTHSM_SO_PIN_FILE SOFTHSM_URI \
	    STICA_PKCS11_MODULE
	softhsm_add_token "$_sh_label"
}

softhsm_add_token() {
	if [ -z "${SOFTHSM_DIR:-}" ]; then
		echo "softhsm_add_token: call softhsm_setup first" >&2
		return 1
	fi
	softhsm2-util --init-token --free --label "$1" \
	    --so-pin "$(cat "$SOFTHSM_SO_PIN_FILE")" \
	    --pin "$(cat "$SOFTHSM_PIN_FILE")" >"$SOFTHSM_DIR/init.log" 2>&1 || {
		echo "softhsm_add_token: softhsm2-util failed:" >&2
		cat "$SOFTHSM_DIR/init.log" >&2
		return 1
	}
}

softhsm_pin() {
	cat "$SOFTHSM_PIN_FILE"
}

softhsm_keygen_tool() {
	pkcs11-tool --module "$SOFTHSM_MODULE" --token-label "$SOFTHSM_LABEL" \
	    --login --pin "$(cat "$SOFTHSM_PIN_FILE")" --keypairgen \
	    --key-type "${2:-EC:prime256v1}" --label "$1" \
	    --id "$(printf '%s' "$1" | od -An -tx1 | tr -d ' \n')" \
	    >"$SOFTHSM_DIR/keygen.log" 2>&1 || {
		cat "$SOFTHSM_DIR/keygen.log" >&2
		return 1
	}
}

softhsm_cleanup() {
	if [ -n "${SOFTHSM_DIR:-}" ] && [ -d "$SOFTHSM_DIR" ]; then
		rm -rf "$SOFTHSM_DIR"
	fi
	SOFTHSM_DIR=
}
