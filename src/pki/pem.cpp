#include "pki/pem.hpp"

#include "base/base64.hpp"

namespace sso::pki {
namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kDashes = "-----";

}  // namespace

bool is_private_key_label(std::string_view label) {
  return label == "PRIVATE KEY" || label == "RSA PRIVATE KEY" || label == "EC PRIVATE KEY" ||
         label == "ENCRYPTED PRIVATE KEY";
}

Result<std::vector<PemBlock>> decode_pem_blocks(std::string_view input) {
  if (input.size() > kMaxPemInputBytes)
    return resource_exhausted("PEM input of " + std::to_string(input.size()) + " bytes is over the limit of " +
                              std::to_string(kMaxPemInputBytes));
  std::vector<PemBlock> blocks;
  size_t pos = 0;
  while ((pos = input.find(kBegin, pos)) != std::string_view::npos) {
    if (blocks.size() == kMaxPemBlocks)
      return resource_exhausted("more than " + std::to_string(kMaxPemBlocks) + " PEM blocks");
    const size_t label_start = pos + kBegin.size();
    const size_t label_end = input.find(kDashes, label_start);
    const size_t line_end = input.find('\n', label_start);
    if (label_end == std::string_view::npos || (line_end != std::string_view::npos && label_end > line_end))
      return invalid_argument("PEM block " + std::to_string(blocks.size() + 1) + ": malformed BEGIN line");
    std::string label(input.substr(label_start, label_end - label_start));
    const std::string end_marker = std::string(kEnd) + label + std::string(kDashes);
    const size_t body_start = label_end + kDashes.size();
    const size_t end_pos = input.find(end_marker, body_start);
    if (end_pos == std::string_view::npos)
      return invalid_argument("PEM block " + std::to_string(blocks.size() + 1) + " (" + label.substr(0, 40) +
                              "): no matching END line");
    const size_t block_end = end_pos + end_marker.size();
    if (block_end - pos > kMaxPemBlockBytes)
      return resource_exhausted("PEM block " + std::to_string(blocks.size() + 1) + " (" + label.substr(0, 40) +
                                ") is over " + std::to_string(kMaxPemBlockBytes) + " bytes");
    const std::string_view body = input.substr(body_start, end_pos - body_start);
    if (body.find(':') != std::string_view::npos) {
      return invalid_argument("PEM block " + std::to_string(blocks.size() + 1) + " (" + label.substr(0, 40) +
                              ") has headers; encrypted PEM is not supported");
    }
    auto der = base64_decode(body);
    if (!der.ok())
      return invalid_argument("PEM block " + std::to_string(blocks.size() + 1) + " (" + label.substr(0, 40) +
                              "): body is not base64");
    if (der->empty())
      return invalid_argument("PEM block " + std::to_string(blocks.size() + 1) + " (" + label.substr(0, 40) +
                              ") is empty");
    blocks.push_back(PemBlock{std::move(label), input.substr(pos, block_end - pos), std::move(*der)});
    pos = block_end;
  }
  return blocks;
}

}  // namespace sso::pki
