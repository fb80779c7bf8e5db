// Fuzz target: the API test server's decoder of client-go protobuf bodies, which reads
// whatever a client sends.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "apiserver/protobuf_body.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string error;
  // With and without the magic number, so that the fuzzer need not discover it.
  const std::string_view raw(reinterpret_cast<const char*>(data), size);
  (void)sso::apiserver::decode_protobuf_object(raw, &error);
  (void)sso::apiserver::decode_protobuf_object(std::string("k8s\0", 4) + std::string(raw), &error);
  return 0;
}
