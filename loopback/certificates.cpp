#include "loopback/certificates.hpp"

#include <atomic>
#include <ctime>
#include <map>
#include <mutex>
#include <stdexcept>
#include <utility>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace cutover::loopback {
namespace {

struct Free {
  void operator()(X509* x509) const { X509_free(x509); }
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
  void operator()(BIO* bio) const { BIO_free(bio); }
  void operator()(BIGNUM* number) const { BN_free(number); }
  void operator()(X509_EXTENSION* extension) const { X509_EXTENSION_free(extension); }
  void operator()(X509_NAME* name) const { X509_NAME_free(name); }
};
using X509Pointer = std::unique_ptr<X509, Free>;
using KeyPointer = std::unique_ptr<EVP_PKEY, Free>;
using BioPointer = std::unique_ptr<BIO, Free>;
using BignumPointer = std::unique_ptr<BIGNUM, Free>;
using ExtensionPointer = std::unique_ptr<X509_EXTENSION, Free>;
using NamePointer = std::unique_ptr<X509_NAME, Free>;

constexpr long kSecondsPerDay = 24 * 60 * 60;

[[noreturn]] void fail(const std::string& what) {
  const unsigned long code = ERR_get_error();
  char reason[256] = "no OpenSSL error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof(reason));
  ERR_clear_error();
  throw std::runtime_error("test certificates: " + what + ": " + reason);
}

KeyPointer generate_key(KeyType type, int rsa_bits) {
  EVP_PKEY* key = type == KeyType::rsa
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits))
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (key == nullptr) fail("key generation");
  return KeyPointer(key);
}

// Returns a new reference to the process's key of that type and size, made on first use.
KeyPointer cached_key(KeyType type, int rsa_bits) {
  static std::mutex mutex;
  // Never freed: OpenSSL's own atexit cleanup may run before a static's destructor would.
  static auto* keys = new std::map<std::pair<KeyType, int>, EVP_PKEY*>;
  const std::pair<KeyType, int> slot(type, type == KeyType::rsa ? rsa_bits : 0);
  const std::lock_guard lock(mutex);
  EVP_PKEY*& key = (*keys)[slot];
  if (key == nullptr) key = generate_key(type, rsa_bits).release();
  if (EVP_PKEY_up_ref(key) != 1) fail("EVP_PKEY_up_ref");
  return KeyPointer(key);
}

std::string slug(const std::string& text) {
  std::string result;
  for (const char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    result += plain ? c : '-';
  }
  return result.empty() ? std::string("unnamed") : result.substr(0, 40);
}

// Distinct file names for every certificate of the process, whichever TempDir holds them.
std::string next_file_stem(const std::string& kind, const std::string& name) {
  static std::atomic<unsigned> counter{0};
  return kind + "-" + std::to_string(++counter) + "-" + slug(name);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string certificate_pem(X509* certificate) {
  const BioPointer bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) fail("PEM_write_bio_X509");
  return bio_text(bio.get());
}

std::string key_pem(EVP_PKEY* key) {
  const BioPointer bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    fail("PEM_write_bio_PrivateKey");
  }
  return bio_text(bio.get());
}

std::string rfc2253(const X509_NAME* name) {
  const BioPointer bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) {
    fail("X509_NAME_print_ex");
  }
  return bio_text(bio.get());
}

void add_name_entry(X509_NAME* name, const char* field, const std::string& value) {
  if (value.empty()) return;
  if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                 0) != 1) {
    fail(std::string("subject ") + field + "=" + value);
  }
}

// Extensions are given in openssl.cnf syntax: the library then does the DER encoding (and
// parses "IP:::1"), which hand-built GENERAL_NAMEs would repeat.
void add_extension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  const ExtensionPointer extension(X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str()));
  if (!extension || X509_add_ext(certificate, extension.get(), -1) != 1) {
    fail("extension " + std::string(OBJ_nid2sn(nid)) + " = " + value);
  }
}

struct Validity {
  std::chrono::system_clock::time_point not_before;
  std::chrono::system_clock::time_point not_after;
};

struct Unsigned {
  X509Pointer certificate;
  Validity validity;
};

// A certificate with everything but extensions and signature.
Unsigned start_certificate(const X509_NAME* subject, const X509_NAME* issuer, EVP_PKEY* key,
                           int days_before_now, int days_valid) {
  X509Pointer certificate(X509_new());
  if (!certificate || X509_set_version(certificate.get(), 2) != 1) fail("X509_new");

  // Random positive 63-bit serials keep issuer + serial unique, as verifiers expect.
  const BignumPointer serial(BN_new());
  if (!serial || BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate.get())) == nullptr) {
    fail("serial number");
  }

  const std::time_t now = std::time(nullptr);
  if (ASN1_TIME_adj(X509_getm_notBefore(certificate.get()), now, -days_before_now, 0) == nullptr ||
      ASN1_TIME_adj(X509_getm_notAfter(certificate.get()), now, days_valid, 0) == nullptr) {
    fail("validity");
  }
  const auto at = [now](int days) {
    return std::chrono::system_clock::from_time_t(now + days * kSecondsPerDay);
  };

  if (X509_set_subject_name(certificate.get(), subject) != 1 ||
      X509_set_issuer_name(certificate.get(), issuer) != 1 ||
      X509_set_pubkey(certificate.get(), key) != 1) {
    fail("names and key");
  }
  return {std::move(certificate), {at(-days_before_now), at(days_valid)}};
}

void sign(X509* certificate, EVP_PKEY* key) {
  if (X509_sign(certificate, key, EVP_sha256()) == 0) fail("X509_sign");
}

std::string join(const std::vector<std::string>& parts, const std::string& prefix) {
  std::string result;
  for (const std::string& part : parts)
    result += (result.empty() ? "" : ",") + prefix + part;
  return result;
}

}  // namespace

namespace detail {

struct CaState {
  const TempDir* dir = nullptr;
  std::string name;
  X509Pointer certificate;
  KeyPointer key;
  std::filesystem::path ca_file;
  std::filesystem::path ca_key_file;
  std::string intermediates_pem;  // this CA and its parents up to, not including, the root
};

}  // namespace detail

TestCa::TestCa(const TempDir& dir, const std::string& name) : TestCa(dir, name, nullptr) {}

TestCa::TestCa(const TempDir& dir, const std::string& name, const TestCa* parent)
    : state_(std::make_unique<detail::CaState>()) {
  state_->dir = &dir;
  state_->name = name;
  state_->key = generate_key(KeyType::ec_p256, 0);

  const NamePointer subject(X509_NAME_new());
  if (!subject) fail("X509_NAME_new");
  add_name_entry(subject.get(), "CN", name);
  add_name_entry(subject.get(), "O", name);
  X509* issuer = parent ? parent->state_->certificate.get() : nullptr;
  Unsigned started =
      start_certificate(subject.get(), issuer ? X509_get_subject_name(issuer) : subject.get(),
                        state_->key.get(), 1, 3650);
  X509* certificate = started.certificate.get();
  X509* signer = issuer ? issuer : certificate;
  add_extension(certificate, signer, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(certificate, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(certificate, signer, NID_subject_key_identifier, "hash");
  add_extension(certificate, signer, NID_authority_key_identifier, "keyid:always");
  sign(certificate, parent ? parent->state_->key.get() : state_->key.get());
  state_->certificate = std::move(started.certificate);

  const std::string stem = next_file_stem("ca", name);
  const std::string pem = certificate_pem(certificate);
  state_->ca_file = dir.write(stem + ".pem", pem);
  state_->ca_key_file = dir.write(stem + ".key", key_pem(state_->key.get()));
  if (parent) state_->intermediates_pem = pem + parent->state_->intermediates_pem;
}

TestCa::~TestCa() = default;
TestCa::TestCa(TestCa&&) noexcept = default;
TestCa& TestCa::operator=(TestCa&&) noexcept = default;

const std::string& TestCa::name() const {
  return state_->name;
}

const std::filesystem::path& TestCa::ca_file() const {
  return state_->ca_file;
}

const std::filesystem::path& TestCa::ca_key_file() const {
  return state_->ca_key_file;
}

TestCa TestCa::intermediate(const std::string& name) {
  return TestCa(*state_->dir, name, this);
}

Certificate TestCa::issue(const CertificateSpec& spec) {
  const KeyPointer key = cached_key(spec.key_type, spec.rsa_bits);
  std::string common_name = spec.common_name;
  if (common_name.empty() && !spec.dns_names.empty()) common_name = spec.dns_names.front();
  if (common_name.empty() && !spec.ip_addresses.empty()) common_name = spec.ip_addresses.front();
  if (common_name.empty()) common_name = "unnamed";

  const NamePointer subject(X509_NAME_new());
  if (!subject) fail("X509_NAME_new");
  add_name_entry(subject.get(), "CN", common_name);
  add_name_entry(subject.get(), "O", spec.organization);
  Unsigned started = start_certificate(
      subject.get(),
      spec.self_signed ? subject.get() : X509_get_subject_name(state_->certificate.get()),
      key.get(), spec.days_before_now, spec.days_valid);
  X509* certificate = started.certificate.get();
  X509* signer = spec.self_signed ? certificate : state_->certificate.get();

  add_extension(certificate, signer, NID_basic_constraints, "critical,CA:FALSE");
  // RSA key exchange (TLS 1.0-1.2 RSA ciphers) encrypts to the key; EC keys only sign.
  add_extension(certificate, signer, NID_key_usage,
                spec.key_type == KeyType::rsa ? "critical,digitalSignature,keyEncipherment"
                                              : "critical,digitalSignature");
  add_extension(certificate, signer, NID_ext_key_usage, spec.client ? "clientAuth" : "serverAuth");
  const std::string names = join(spec.dns_names, "DNS:") +
                            (spec.dns_names.empty() || spec.ip_addresses.empty() ? "" : ",") +
                            join(spec.ip_addresses, "IP:");
  if (!names.empty()) add_extension(certificate, signer, NID_subject_alt_name, names);
  add_extension(certificate, signer, NID_subject_key_identifier, "hash");
  add_extension(certificate, signer, NID_authority_key_identifier, "keyid:always");
  sign(certificate, spec.self_signed ? key.get() : state_->key.get());

  const std::string stem = next_file_stem("cert", common_name);
  const std::string pem = certificate_pem(certificate);
  Certificate result;
  result.certificate_file = state_->dir->write(stem + ".pem", pem);
  result.key_file = state_->dir->write(stem + ".key", key_pem(key.get()));
  result.chain_file = state_->dir->write(stem + ".chain.pem",
                                         spec.self_signed ? pem : pem + state_->intermediates_pem);
  result.subject = rfc2253(X509_get_subject_name(certificate));
  result.issuer = rfc2253(X509_get_issuer_name(certificate));
  result.not_before = started.validity.not_before;
  result.not_after = started.validity.not_after;
  return result;
}

}  // namespace cutover::loopback
