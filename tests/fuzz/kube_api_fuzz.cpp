// Fuzz target: what the operator's Kubernetes client reads off the wire: error bodies (a
// Status, or whatever a proxy in between sends), list answers and watch stream lines.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "kube/api_error.hpp"
#include "kube/http_transport.hpp"
#include "kube/rest_client.hpp"

namespace {

// Hands the input to a WatchStream as its lines.
class BytesLineStream final : public sso::kube::LineStream {
 public:
  explicit BytesLineStream(std::string_view data) : data_(data) {}
  sso::Result<std::optional<std::string>> next_line() override {
    if (pos_ >= data_.size()) return std::optional<std::string>();
    const size_t end = std::min(data_.find('\n', pos_), data_.size());
    std::string line(data_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return std::optional<std::string>(std::move(line));
  }
  void close() override {}

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int code = 400 + data[0] % 120;
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const sso::Error e = sso::kube::api_error(code, body, {{"retry-after", std::string(body.substr(0, 8))}}, "fuzz");
  (void)sso::kube::is_gone(e);
  (void)e.describe();
  (void)sso::kube::api_error_from_status(code, body, "fuzz");

  auto list = nlohmann::json::parse(body, nullptr, false);
  if (!list.is_discarded()) (void)sso::kube::parse_object_list(std::move(list), sso::kube::resources::secrets());

  sso::kube::WatchStream stream(std::make_unique<BytesLineStream>(body), "fuzz");
  for (int i = 0; i < 64; ++i) {
    auto event = stream.next();
    if (!event.ok() || !event->has_value()) break;
  }
  return 0;
}
