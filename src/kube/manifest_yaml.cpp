#include "kube/manifest_yaml.hpp"

#include <algorithm>
#include <cctype>
#include <optional>
#include <regex>
#include <sstream>
#include <string_view>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

namespace sso::kube {
namespace {

using nlohmann::json;

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string_view without_sign(std::string_view s) {
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) s.remove_prefix(1);
  return s;
}

// ^[-+]?[0-9]+$ and ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$, by hand: libstdc++'s
// std::regex matches recursively, one stack frame per character, so a long plain scalar
// (100k digits) overflowed the stack.
bool is_core_int(std::string_view s) { return is_digits(without_sign(s)); }
bool is_core_float(std::string_view s) {
  s = without_sign(s);
  const size_t e = s.find_first_of("eE");
  if (e != std::string_view::npos && !is_digits(without_sign(s.substr(e + 1)))) return false;
  const std::string_view mantissa = s.substr(0, e);
  const size_t dot = mantissa.find('.');
  if (dot == std::string_view::npos) return is_digits(mantissa);
  const std::string_view whole = mantissa.substr(0, dot), fraction = mantissa.substr(dot + 1);
  if (whole.empty()) return is_digits(fraction);
  return is_digits(whole) && (fraction.empty() || is_digits(fraction));
}

// YAML 1.2 core schema, which is what sigs.k8s.io/yaml (go-yaml v2 underneath) reads for
// plain scalars that matter in manifests: booleans, null, integers and floats.
json plain_scalar(const std::string& s) {
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  if (s.empty() || s == "null" || s == "Null" || s == "NULL" || s == "~") return nullptr;
  if (is_core_int(s)) {
    try {
      return std::stoll(s);
    } catch (const std::exception&) {
      return s;  // out of range: keep the text
    }
  }
  if (is_core_float(s)) {
    try {
      return std::stod(s);
    } catch (const std::exception&) {
      return s;
    }
  }
  return s;
}

// yaml-cpp resolves an alias to the anchored node itself, so `&a [*a, *a]` is a cycle and
// nine levels of ten aliases a billion nodes ("billion laughs"). go-yaml refuses such a
// document ("document contains excessive aliasing"); we stop after this much work: a node
// and each byte of its key or scalar is one unit, so a document without aliases needs about
// three per input byte.
size_t expansion_budget(size_t input_size) { return std::max<size_t>(1'000'000, 4 * input_size); }

// `where` is the field path, extended and cut back in place: building a new string for each
// node would cost the depth times the key length per node.
Result<json> to_json(const YAML::Node& node, std::string& where, int depth, size_t& budget) {
  if (depth > 100) return invalid_argument(where + ": nested too deeply");
  const size_t cost = 1 + (node.IsScalar() ? node.Scalar().size() : 0);
  if (budget < cost) return invalid_argument(where + ": expands to too much (aliases of aliases?)");
  budget -= cost;
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) return invalid_argument(where + ": a mapping key is not a string");
        const std::string key = kv.first.Scalar();
        if (budget < key.size()) return invalid_argument(where + ": expands to too much (aliases of aliases?)");
        budget -= key.size();
        const size_t at = where.size();
        where += (at == 0 ? "" : ".") + key;
        SSO_ASSIGN_OR_RETURN(out[key], to_json(kv.second, where, depth + 1, budget));
        where.resize(at);
      }
      return out;
    }
    case YAML::NodeType::Sequence: {
      json out = json::array();
      size_t i = 0;
      for (const auto& item : node) {
        const size_t at = where.size();
        where += "[" + std::to_string(i++) + "]";
        SSO_ASSIGN_OR_RETURN(json v, to_json(item, where, depth + 1, budget));
        where.resize(at);
        out.push_back(std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Scalar:
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") return json(node.Scalar());  // quoted
      return plain_scalar(node.Scalar());
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return json(nullptr);
  }
  return json(nullptr);
}

bool needs_quotes(const std::string& s) {
  if (s.empty()) return true;
  const json read_back = plain_scalar(s);
  if (!read_back.is_string()) return true;
  // Also quote what YAML 1.1 readers (yaml-cpp, PyYAML) take for booleans.
  static const std::regex kYaml11Bool("^(y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$");
  if (s.size() <= 5 && std::regex_match(s, kYaml11Bool)) return true;
  // And anything that starts like a YAML 1.1 timestamp (an RFC 3339 annotation value), which
  // PyYAML reads as a datetime. Checked by hand, not by std::regex, which recurses once per
  // character; quoting a little more than needed is harmless.
  const bool date_like = s.size() >= 8 && std::isdigit(static_cast<unsigned char>(s[0])) &&
                         std::isdigit(static_cast<unsigned char>(s[1])) &&
                         std::isdigit(static_cast<unsigned char>(s[2])) &&
                         std::isdigit(static_cast<unsigned char>(s[3])) && s[4] == '-';
  return date_like;
}

void emit(YAML::Emitter& out, const json& value) {
  switch (value.type()) {
    case json::value_t::object:
      out << YAML::BeginMap;
      for (const auto& [k, v] : value.items()) {
        out << YAML::Key << k << YAML::Value;
        emit(out, v);
      }
      out << YAML::EndMap;
      break;
    case json::value_t::array:
      out << YAML::BeginSeq;
      for (const auto& v : value) emit(out, v);
      out << YAML::EndSeq;
      break;
    case json::value_t::string: {
      const std::string& s = value.get_ref<const std::string&>();
      if (s.find('\n') != std::string::npos)
        out << YAML::Literal << s;
      else if (needs_quotes(s))
        out << YAML::DoubleQuoted << s;
      else
        out << s;
      break;
    }
    case json::value_t::boolean: out << (value.get<bool>() ? "true" : "false"); break;
    case json::value_t::null: out << YAML::Null; break;
    default: out << value.dump(); break;  // numbers as JSON writes them
  }
}

// yaml-cpp 0.7's LoadAll never returns on a stray ',' where a document should start
// (`{...},` or a lone `,`): the parser begins a new empty document at the same token, again
// and again, each one a node, until memory runs out. This pass over the events, before
// LoadAll, refuses the stream when a document starts where the previous one did.
class StuckDocumentCheck final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (last_ && last_->pos == mark.pos) throw YAML::ParserException(mark, "unexpected ',' where a document starts");
    last_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

 private:
  std::optional<YAML::Mark> last_;
};

// The offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), if any.
std::optional<size_t> first_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the bounds of the second byte
    if (b < 0x80) {
      ++i;
      continue;
    } else if (b >= 0xC2 && b <= 0xDF) {
      length = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      length = 3;
      if (b == 0xE0) low = 0xA0;
      if (b == 0xED) high = 0x9F;
    } else if (b >= 0xF0 && b <= 0xF4) {
      length = 4;
      if (b == 0xF0) low = 0x90;
      if (b == 0xF4) high = 0x8F;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF)) return i;
    }
    i += length;
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<json>> read_manifests(std::string_view text, const std::string& source) {
  // YAML is Unicode, and JSON strings must be (nlohmann::json throws when it writes one that is
  // not): refused here, as go-yaml refuses it for kubectl.
  if (const auto at = first_invalid_utf8(text)) {
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*at), '\n');
    return invalid_argument(source + ": not valid YAML: line " + std::to_string(line) + ": invalid UTF-8");
  }
  std::vector<YAML::Node> docs;
  try {
    std::istringstream stream{std::string(text)};
    YAML::Parser parser(stream);
    StuckDocumentCheck check;
    while (parser.HandleNextDocument(check)) {
    }
    docs = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    return invalid_argument(source + ": not valid YAML: line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  std::vector<json> objects;
  size_t budget = expansion_budget(text.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    const std::string where = source + ": document " + std::to_string(i + 1);
    if (docs[i].IsNull()) continue;
    std::string path;
    auto doc = to_json(docs[i], path, 0, budget);
    if (!doc.ok()) return invalid_argument(where + ": " + doc.error().message());
    if (!doc->is_object()) return invalid_argument(where + ": not an object");
    auto check = [&](const json& o, const std::string& at) -> Status {
      if (!o.is_object() || !o.contains("apiVersion") || !o["apiVersion"].is_string() || !o.contains("kind") ||
          !o["kind"].is_string())
        return invalid_argument(at + ": Object 'apiVersion' and 'Kind' must be set");
      return {};
    };
    SSO_RETURN_IF_ERROR(check(*doc, where));
    if ((*doc)["kind"] == "List") {
      const json& items = (*doc)["items"];
      if (!items.is_array()) return invalid_argument(where + ": items: a List needs a list of items");
      for (size_t j = 0; j < items.size(); ++j) {
        SSO_RETURN_IF_ERROR(check(items[j], where + ": items[" + std::to_string(j) + "]"));
        objects.push_back(items[j]);
      }
      continue;
    }
    objects.push_back(std::move(*doc));
  }
  return objects;
}

std::string write_manifests(const std::vector<json>& objects) {
  std::string out;
  for (size_t i = 0; i < objects.size(); ++i) {
    YAML::Emitter emitter;
    emitter.SetIndent(2);
    emitter.SetSeqFormat(YAML::Block);
    emit(emitter, objects[i]);
    if (i > 0) out += "---\n";
    out += emitter.c_str();
    out += "\n";
  }
  return out;
}

}  // namespace sso::kube
