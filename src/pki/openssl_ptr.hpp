#pragma once

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "base/error.hpp"

namespace sso::pki {

// Owning pointers with stateless deleters, one alias per OpenSSL type, as bssl::UniquePtr.
template <auto FreeFn>
struct OpenSslFree {
  template <typename T>
  void operator()(T* p) const {
    FreeFn(p);
  }
};

using PKeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using PKeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<EVP_PKEY_CTX_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509_free>>;
using X509CrlPtr = std::unique_ptr<X509_CRL, OpenSslFree<X509_CRL_free>>;
using X509RevokedPtr = std::unique_ptr<X509_REVOKED, OpenSslFree<X509_REVOKED_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslFree<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslFree<X509_STORE_CTX_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OpenSslFree<X509_NAME_free>>;
using X509ExtensionPtr = std::unique_ptr<X509_EXTENSION, OpenSslFree<X509_EXTENSION_free>>;
using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OpenSslFree<BN_free>>;
using Asn1IntegerPtr = std::unique_ptr<ASN1_INTEGER, OpenSslFree<ASN1_INTEGER_free>>;
using Asn1TimePtr = std::unique_ptr<ASN1_TIME, OpenSslFree<ASN1_TIME_free>>;
using Asn1EnumeratedPtr = std::unique_ptr<ASN1_ENUMERATED, OpenSslFree<ASN1_ENUMERATED_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OpenSslFree<GENERAL_NAMES_free>>;
using Pkcs12Ptr = std::unique_ptr<PKCS12, OpenSslFree<PKCS12_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree<EVP_MD_CTX_free>>;

// Strings OpenSSL allocates (BN_bn2hex, X509_NAME_oneline).
struct OpenSslStringFree {
  void operator()(char* s) const { OPENSSL_free(s); }
};
using OpenSslStringPtr = std::unique_ptr<char, OpenSslStringFree>;

struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackFree>;
// A stack of certificates borrowed from elsewhere: freeing it leaves them alone.
struct X509BorrowedStackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using X509BorrowedStackPtr = std::unique_ptr<STACK_OF(X509), X509BorrowedStackFree>;

// Drains OpenSSL's thread-local error queue into an Error, so that no stale entry is
// blamed on a later call: "sign certificate: error:...:EVP routines::...".
Error openssl_error(std::string step, ErrorCode code = ErrorCode::kInternal);

// Empties the error queue without reporting (after a failure that is an expected answer).
void clear_openssl_errors();

// Reads a memory BIO's contents.
std::string bio_contents(BIO& bio);

}  // namespace sso::pki
