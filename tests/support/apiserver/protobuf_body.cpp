#include "apiserver/protobuf_body.hpp"

#include <functional>

#include "base/base64.hpp"
#include "base/time.hpp"

namespace sso::apiserver {
namespace {

using nlohmann::json;

// The protobuf wire format, read field by field (https://protobuf.dev/programming-guides/encoding/).
class WireReader {
 public:
  explicit WireReader(std::string_view data) : data_(data) {}

  struct Field {
    int number = 0;
    int wire_type = 0;
    uint64_t varint = 0;
    std::string_view bytes;
  };

  // False at the end; sets `failed` on malformed input.
  bool next(Field& field) {
    if (pos_ >= data_.size()) return false;
    uint64_t key = 0;
    if (!varint(key)) return fail();
    field.number = static_cast<int>(key >> 3);
    field.wire_type = static_cast<int>(key & 7);
    switch (field.wire_type) {
      case 0: return varint(field.varint) || fail();
      case 1: return skip(8);
      case 5: return skip(4);
      case 2: {
        uint64_t len = 0;
        if (!varint(len) || len > data_.size() - pos_) return fail();
        field.bytes = data_.substr(pos_, len);
        pos_ += len;
        return true;
      }
      default: return fail();
    }
  }
  bool failed() const { return failed_; }

 private:
  bool varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64 && pos_ < data_.size(); shift += 7) {
      const auto b = static_cast<uint8_t>(data_[pos_++]);
      out |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;
  }
  bool skip(size_t n) {
    if (n > data_.size() - pos_) return fail();
    pos_ += n;
    return true;
  }
  bool fail() {
    failed_ = true;
    return false;
  }
  std::string_view data_;
  size_t pos_ = 0;
  bool failed_ = false;
};

using FieldHandler = std::function<bool(const WireReader::Field&)>;

bool read_message(std::string_view bytes, const FieldHandler& handle) {
  WireReader reader(bytes);
  WireReader::Field field;
  while (reader.next(field))
    if (!handle(field)) return false;
  return !reader.failed();
}

// map<string, string|bytes> entries: key = 1, value = 2.
bool read_map_entry(std::string_view bytes, json& into, bool value_is_bytes) {
  std::string key, value;
  if (!read_message(bytes, [&](const WireReader::Field& f) {
        if (f.number == 1) key = f.bytes;
        if (f.number == 2) value = f.bytes;
        return true;
      }))
    return false;
  into[key] = value_is_bytes ? base64_encode(value) : value;
  return true;
}

json read_time(std::string_view bytes) {
  int64_t seconds = 0;
  read_message(bytes, [&](const WireReader::Field& f) {
    if (f.number == 1) seconds = static_cast<int64_t>(f.varint);
    return true;
  });
  // A system_clock time_point counts nanoseconds, so it holds 1677 to 2262 only; a time
  // outside that (no real object has one; the fuzzer sent one) is left unset, not overflowed.
  constexpr int64_t kLimit =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::duration::max()).count() - 1;
  if (seconds < -kLimit || seconds > kLimit) return nullptr;
  return format_rfc3339(std::chrono::system_clock::from_time_t(seconds));
}

// k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta
// gogo-protobuf writes every non-pointer field, empty or not; JSON omits the empty ones.
bool read_object_meta(std::string_view bytes, json& meta) {
  return read_message(bytes, [&](const WireReader::Field& f) {
    if (f.wire_type == 2 && f.bytes.empty()) return true;
    if (f.wire_type == 0 && f.varint == 0) return true;
    switch (f.number) {
      case 1: meta["name"] = std::string(f.bytes); break;
      case 2: meta["generateName"] = std::string(f.bytes); break;
      case 3: meta["namespace"] = std::string(f.bytes); break;
      case 5: meta["uid"] = std::string(f.bytes); break;
      case 6: meta["resourceVersion"] = std::string(f.bytes); break;
      case 7: meta["generation"] = static_cast<int64_t>(f.varint); break;
      case 8:
        if (json t = read_time(f.bytes); !t.is_null()) meta["creationTimestamp"] = std::move(t);
        break;
      case 9:
        if (json t = read_time(f.bytes); !t.is_null()) meta["deletionTimestamp"] = std::move(t);
        break;
      case 11: return read_map_entry(f.bytes, meta["labels"], false);
      case 12: return read_map_entry(f.bytes, meta["annotations"], false);
      case 13: {
        json ref = json::object();
        if (!read_message(f.bytes, [&](const WireReader::Field& r) {
              if (r.number == 1) ref["kind"] = std::string(r.bytes);
              if (r.number == 3) ref["name"] = std::string(r.bytes);
              if (r.number == 4) ref["uid"] = std::string(r.bytes);
              if (r.number == 5) ref["apiVersion"] = std::string(r.bytes);
              if (r.number == 6) ref["controller"] = r.varint != 0;
              if (r.number == 7) ref["blockOwnerDeletion"] = r.varint != 0;
              return true;
            }))
          return false;
        meta["ownerReferences"].push_back(ref);
        break;
      }
      case 14: meta["finalizers"].push_back(std::string(f.bytes)); break;
      default: break;  // selfLink, managedFields, ...: not needed here
    }
    return true;
  });
}

bool read_kind(const std::string& kind, std::string_view raw, json& object) {
  auto meta = [&](const WireReader::Field& f) { return read_object_meta(f.bytes, object["metadata"]); };
  if (kind == "Secret") {
    return read_message(raw, [&](const WireReader::Field& f) {
      switch (f.number) {
        case 1: return meta(f);
        case 2: return read_map_entry(f.bytes, object["data"], true);
        case 3:
          if (!f.bytes.empty()) object["type"] = std::string(f.bytes);
          return true;
        case 4: return read_map_entry(f.bytes, object["stringData"], false);
        case 5: object["immutable"] = f.varint != 0; return true;
        default: return true;
      }
    });
  }
  if (kind == "ConfigMap") {
    return read_message(raw, [&](const WireReader::Field& f) {
      switch (f.number) {
        case 1: return meta(f);
        case 2: return read_map_entry(f.bytes, object["data"], false);
        case 3: return read_map_entry(f.bytes, object["binaryData"], true);
        case 4: object["immutable"] = f.varint != 0; return true;
        default: return true;
      }
    });
  }
  if (kind == "Namespace") {
    return read_message(raw, [&](const WireReader::Field& f) {
      if (f.number == 1) return meta(f);
      if (f.number == 2)
        return read_message(f.bytes, [&](const WireReader::Field& s) {
          if (s.number == 1) object["spec"]["finalizers"].push_back(std::string(s.bytes));
          return true;
        });
      return true;
    });
  }
  if (kind == "DeleteOptions") {  // the body of a typed client's DELETE
    return read_message(raw, [&](const WireReader::Field& f) {
      switch (f.number) {
        case 1: object["gracePeriodSeconds"] = static_cast<int64_t>(f.varint); return true;
        case 2:
          return read_message(f.bytes, [&](const WireReader::Field& p) {
            if (p.number == 1 && !p.bytes.empty()) object["preconditions"]["uid"] = std::string(p.bytes);
            if (p.number == 2 && !p.bytes.empty()) object["preconditions"]["resourceVersion"] = std::string(p.bytes);
            return true;
          });
        case 4:
          if (!f.bytes.empty()) object["propagationPolicy"] = std::string(f.bytes);
          return true;
        case 5: object["dryRun"].push_back(std::string(f.bytes)); return true;
        default: return true;
      }
    });
  }
  // rbac.authorization.k8s.io/v1, as `kubectl create role|rolebinding|clusterrole...` sends them.
  auto strings = [](std::string_view bytes, json& into) {
    into.push_back(std::string(bytes));
    return true;
  };
  if (kind == "Role" || kind == "ClusterRole") {
    return read_message(raw, [&](const WireReader::Field& f) {
      if (f.number == 1) return meta(f);
      if (f.number != 2) return true;
      json rule = json::object();
      static const char* const kFields[] = {"", "verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"};
      if (!read_message(f.bytes, [&](const WireReader::Field& r) {
            return r.number < 1 || r.number > 5 || strings(r.bytes, rule[kFields[r.number]]);
          }))
        return false;
      object["rules"].push_back(rule);
      return true;
    });
  }
  if (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
    return read_message(raw, [&](const WireReader::Field& f) {
      if (f.number == 1) return meta(f);
      if (f.number == 2) {
        json subject = json::object();
        static const char* const kFields[] = {"", "kind", "apiGroup", "name", "namespace"};
        if (!read_message(f.bytes, [&](const WireReader::Field& r) {
              if (r.number >= 1 && r.number <= 4 && !r.bytes.empty()) subject[kFields[r.number]] = std::string(r.bytes);
              return true;
            }))
          return false;
        object["subjects"].push_back(subject);
      }
      if (f.number == 3)
        return read_message(f.bytes, [&](const WireReader::Field& r) {
          static const char* const kFields[] = {"", "apiGroup", "kind", "name"};
          if (r.number >= 1 && r.number <= 3) object["roleRef"][kFields[r.number]] = std::string(r.bytes);
          return true;
        });
      return true;
    });
  }
  // authorization.k8s.io/v1, as `kubectl auth can-i` sends it.
  if (kind == "SelfSubjectAccessReview") {
    return read_message(raw, [&](const WireReader::Field& f) {
      if (f.number == 1) return meta(f);
      if (f.number != 2) return true;
      object["spec"] = json::object();
      return read_message(f.bytes, [&](const WireReader::Field& spec) {
        if (spec.number == 1) {
          json& attributes = object["spec"]["resourceAttributes"] = json::object();
          static const char* const kFields[] = {"",        "namespace", "verb",        "group",
                                                "version", "resource",  "subresource", "name"};
          return read_message(spec.bytes, [&](const WireReader::Field& a) {
            if (a.number >= 1 && a.number <= 7 && !a.bytes.empty())
              attributes[kFields[a.number]] = std::string(a.bytes);
            return true;
          });
        }
        if (spec.number == 2) {
          json& attributes = object["spec"]["nonResourceAttributes"] = json::object();
          return read_message(spec.bytes, [&](const WireReader::Field& a) {
            if (a.number == 1 && !a.bytes.empty()) attributes["path"] = std::string(a.bytes);
            if (a.number == 2 && !a.bytes.empty()) attributes["verb"] = std::string(a.bytes);
            return true;
          });
        }
        return true;
      });
    });
  }
  if (kind == "ServiceAccount") {
    return read_message(raw, [&](const WireReader::Field& f) {
      if (f.number == 1) return meta(f);
      if (f.number == 4) object["automountServiceAccountToken"] = f.varint != 0;
      return true;
    });
  }
  return false;
}

}  // namespace

std::optional<json> decode_protobuf_object(std::string_view body, std::string* error) {
  constexpr std::string_view kMagic("k8s\0", 4);
  if (body.substr(0, 4) != kMagic) {
    *error = "the protobuf body does not start with the Kubernetes magic number";
    return std::nullopt;
  }
  std::string api_version, kind;
  std::string_view raw;
  if (!read_message(body.substr(4), [&](const WireReader::Field& f) {
        if (f.number == 1)
          return read_message(f.bytes, [&](const WireReader::Field& t) {
            if (t.number == 1) api_version = t.bytes;
            if (t.number == 2) kind = t.bytes;
            return true;
          });
        if (f.number == 2) raw = f.bytes;
        return true;
      })) {
    *error = "the protobuf body is malformed";
    return std::nullopt;
  }
  json object = {{"apiVersion", api_version}, {"kind", kind}};
  if (kind != "DeleteOptions") object["metadata"] = json::object();
  if (!read_kind(kind, raw, object)) {
    *error = "protobuf bodies of kind \"" + kind + "\" are not supported by the API test server; send JSON";
    return std::nullopt;
  }
  return object;
}

}  // namespace sso::apiserver
