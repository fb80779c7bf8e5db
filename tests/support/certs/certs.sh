#!/usr/bin/env bash
# Regenerates the certificate fixtures in this folder with the openssl command line, so that
# the tests load CAs and keys made by a tool nobody here wrote. Each file is described in
# README.md. They are valid for 100 years; run this again only to change them.
set -euo pipefail
cd "$(dirname "$0")"
days=36500

# A root CA as a user might bring it (EC P-256).
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out openssl-root-ca.key
openssl req -x509 -new -key openssl-root-ca.key -days "$days" -subj "/O=Example Corp/CN=Example Root CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -addext "subjectKeyIdentifier=hash" -out openssl-root-ca.crt

# An intermediate CA under it (RSA 2048): the operator issues from it; leaves carry it in tls.crt.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out openssl-intermediate-ca.key
openssl req -new -key openssl-intermediate-ca.key -subj "/O=Example Corp/CN=Example Intermediate CA" \
  -out intermediate.csr
cat > intermediate.ext <<'EXT'
basicConstraints=critical,CA:TRUE,pathlen:0
keyUsage=critical,keyCertSign,cRLSign
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid:always
EXT
openssl x509 -req -in intermediate.csr -CA openssl-root-ca.crt -CAkey openssl-root-ca.key -CAcreateserial \
  -days "$days" -extfile intermediate.ext -out openssl-intermediate-ca.crt

# A server leaf (not a CA): offered as a CA it must be refused.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out openssl-leaf.key
openssl req -new -key openssl-leaf.key -subj "/CN=not-a-ca.example" -out leaf.csr
cat > leaf.ext <<'EXT'
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:not-a-ca.example
EXT
openssl x509 -req -in leaf.csr -CA openssl-root-ca.crt -CAkey openssl-root-ca.key -CAcreateserial \
  -days "$days" -extfile leaf.ext -out openssl-leaf.crt

# Keys in the older encodings and an encrypted one.
openssl genrsa -traditional -out rsa-traditional.key 2048 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out ec-traditional.key
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes-256-cbc -pass pass:fixture -out encrypted.key

rm -f intermediate.csr intermediate.ext leaf.csr leaf.ext openssl-root-ca.srl
