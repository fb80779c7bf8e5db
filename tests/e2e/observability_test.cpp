// The alerts and the dashboard the chart ships: promtool over the rules and their unit tests
// (tests/e2e/alerts), Grafana's shape of the dashboard, and every metric, label and label
// value they read checked against the /metrics of a running operator, so that a rule on a
// metric the operator does not export (misspelt, renamed, never created) fails here rather
// than staying silent in production.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include "webhook_cluster.hpp"

namespace sso::testing {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

const std::string kChartDir = SSO_CHART_DIR;
const std::string kRulesFile = kChartDir + "/files/prometheus-rules.yaml";
const std::string kDashboardFile = kChartDir + "/files/grafana-dashboard.json";
const std::string kAlertTestsDir = kChartDir + "/../../tests/e2e/alerts";
constexpr const char* kRunbook = "https://github.com/secureservice-operator/secureservice-operator#troubleshooting";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// ---------------------------------------------------------------------------------------
// What a PromQL expression reads: its series selectors (metric and matchers) and the labels
// it groups or matches on. Not a full parser: a tokenizer and the bracket structure, which
// is all it takes to tell metric names from functions, keywords, label names and strings.

struct Matcher {
  std::string label, op, value;
  bool operator==(const Matcher&) const = default;
};

struct Selector {
  std::string metric;
  std::vector<Matcher> matchers;
};

// A label of `by (...)`/`without (...)` (applies to the metrics under that aggregation) or
// of `on (...)`/`ignoring (...)`/`group_left (...)`/`group_right (...)` (applies to either
// side of a vector match: it must exist on one of the expression's metrics).
struct Grouping {
  std::string clause, label;
  std::vector<std::string> metrics;
};

struct PromqlUse {
  std::vector<Selector> selectors;
  std::vector<Grouping> groupings;
  std::vector<std::string> errors;  // what the reader could not make sense of

  std::set<std::string> metrics() const {
    std::set<std::string> out;
    for (const auto& s : selectors) out.insert(s.metric);
    return out;
  }
};

using NameSet = std::set<std::string, std::less<>>;

NameSet words(std::string_view text) {
  NameSet out;
  std::istringstream in{std::string(text)};
  for (std::string w; in >> w;) out.insert(w);
  return out;
}

// Prometheus 2.x functions; the aggregation operators (which take by/without); the keywords
// of binary operators and modifiers; the vector matching clauses.
const NameSet kFunctions = words(
    "abs absent absent_over_time acos acosh asin asinh atan atanh avg_over_time ceil changes clamp clamp_max "
    "clamp_min cos cosh count_over_time day_of_month day_of_week day_of_year days_in_month deg delta deriv end "
    "exp floor histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev "
    "histogram_stdvar histogram_sum holt_winters hour idelta increase irate label_join label_replace "
    "last_over_time ln log10 log2 mad_over_time max_over_time min_over_time minute month pi predict_linear "
    "present_over_time quantile_over_time rad rate resets round scalar sgn sin sinh sort sort_by_label "
    "sort_by_label_desc sort_desc sqrt start stddev_over_time stdvar_over_time sum_over_time tan tanh time "
    "timestamp vector year");
const NameSet kAggregations =
    words("avg bottomk count count_values group limitk limit_ratio max min quantile stddev stdvar sum topk");
const NameSet kKeywords = words("and or unless bool offset atan2 inf nan");
const NameSet kVectorMatching = words("on ignoring group_left group_right");

enum class TokenKind { kIdent, kString, kNumber, kVariable, kPunct, kOperator };
struct Token {
  TokenKind kind;
  std::string text;  // a string's unquoted value
};

std::vector<Token> tokenize(std::string_view s, std::vector<std::string>& errors) {
  std::vector<Token> out;
  size_t i = 0;
  auto ident_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':'; };
  while (i < s.size()) {
    const char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '#') {  // a comment, to the end of the line
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':') {
      size_t j = i;
      while (j < s.size() && ident_char(s[j])) ++j;
      out.push_back({TokenKind::kIdent, std::string(s.substr(i, j - i))});
      i = j;
    } else if (std::isdigit(static_cast<unsigned char>(c)) ||
               (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
      // Numbers and durations (5m, 1h30m, 1e-3, 0x1f).
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '.' || s[j] == '_' ||
                              ((s[j] == '+' || s[j] == '-') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
        ++j;
      out.push_back({TokenKind::kNumber, std::string(s.substr(i, j - i))});
      i = j;
    } else if (c == '"' || c == '\'' || c == '`') {
      std::string value;
      size_t j = i + 1;
      while (j < s.size() && s[j] != c) {
        if (s[j] == '\\' && c != '`' && j + 1 < s.size()) ++j;
        value += s[j++];
      }
      if (j >= s.size()) errors.push_back("unterminated string");
      out.push_back({TokenKind::kString, value});
      i = j + 1;
    } else if (c == '$') {  // a Grafana variable: $name, ${name}, ${name:format}
      size_t j = i + 1;
      if (j < s.size() && s[j] == '{') {
        while (j < s.size() && s[j] != '}') ++j;
        ++j;
      } else {
        while (j < s.size() && ident_char(s[j])) ++j;
      }
      out.push_back({TokenKind::kVariable, std::string(s.substr(i, j - i))});
      i = j;
    } else if (std::string_view("(){}[],").find(c) != std::string_view::npos) {
      out.push_back({TokenKind::kPunct, std::string(1, c)});
      ++i;
    } else {
      static const std::vector<std::string> kOps = {"=~", "!~", "==", "!=", "<=", ">=", "=", "<", ">",
                                                    "+",  "-",  "*",  "/",  "%",  "^",  "@", ":"};
      const auto op =
          std::find_if(kOps.begin(), kOps.end(), [&](const std::string& o) { return s.substr(i).starts_with(o); });
      if (op == kOps.end()) {
        errors.push_back(std::string("unexpected character '") + c + "'");
        ++i;
      } else {
        out.push_back({TokenKind::kOperator, *op});
        i += op->size();
      }
    }
  }
  return out;
}

class PromqlReader {
 public:
  explicit PromqlReader(std::string_view expression) { tokens_ = tokenize(expression, use_.errors); }

  PromqlUse read() {
    scopes_.push_back({});
    while (i_ < tokens_.size()) step();
    if (scopes_.size() != 1) use_.errors.push_back("unbalanced parentheses");
    const auto all = use_.metrics();
    for (auto& g : use_.groupings)
      if (kVectorMatching.contains(g.clause)) g.metrics.assign(all.begin(), all.end());
    return std::move(use_);
  }

 private:
  struct Scope {
    std::vector<std::string> metrics;
    bool aggregation = false;
    std::string clause;  // by or without, when it came before the argument
    std::vector<std::string> labels;
  };

  const Token* peek(size_t ahead = 0) const { return i_ + ahead < tokens_.size() ? &tokens_[i_ + ahead] : nullptr; }
  bool peek_is(const char* punct, size_t ahead = 0) const {
    const Token* t = peek(ahead);
    return t && t->kind == TokenKind::kPunct && t->text == punct;
  }

  // ( label, label, ... ) at the cursor.
  std::vector<std::string> label_list() {
    std::vector<std::string> labels;
    if (!peek_is("(")) {
      use_.errors.push_back("expected a label list");
      return labels;
    }
    for (++i_; i_ < tokens_.size() && !peek_is(")"); ++i_) {
      if (tokens_[i_].kind == TokenKind::kIdent || tokens_[i_].kind == TokenKind::kString)
        labels.push_back(tokens_[i_].text);
      else if (!peek_is(","))
        use_.errors.push_back("unexpected '" + tokens_[i_].text + "' in a label list");
    }
    ++i_;  // )
    return labels;
  }

  // { label op "value", ... } at the cursor, into `selector`.
  void matchers(Selector& selector) {
    for (++i_; i_ < tokens_.size() && !peek_is("}");) {
      if (peek_is(",")) {
        ++i_;
        continue;
      }
      const Token* label = peek();
      const Token* op = peek(1);
      const Token* value = peek(2);
      if (!label || !op || !value || op->kind != TokenKind::kOperator || value->kind != TokenKind::kString) {
        use_.errors.push_back("malformed label matcher in " + selector.metric);
        while (i_ < tokens_.size() && !peek_is("}")) ++i_;
        break;
      }
      if (label->text == "__name__" && op->text == "=")
        selector.metric = value->text;
      else
        selector.matchers.push_back({label->text, op->text, value->text});
      i_ += 3;
    }
    ++i_;  // }
  }

  void record_grouping(const std::string& clause, const std::vector<std::string>& labels,
                       const std::vector<std::string>& metrics) {
    for (const auto& label : labels) use_.groupings.push_back({clause, label, metrics});
  }

  void step() {
    const Token& t = tokens_[i_];
    if (t.kind == TokenKind::kPunct) {
      if (t.text == "(") {
        scopes_.push_back(std::move(next_scope_));
        next_scope_ = {};
        ++i_;
      } else if (t.text == ")") {
        ++i_;
        if (scopes_.size() < 2) {
          use_.errors.push_back("unbalanced ')'");
          return;
        }
        Scope closed = std::move(scopes_.back());
        scopes_.pop_back();
        auto& parent = scopes_.back().metrics;
        parent.insert(parent.end(), closed.metrics.begin(), closed.metrics.end());
        if (!closed.aggregation) return;
        if (!closed.clause.empty()) {
          record_grouping(closed.clause, closed.labels, closed.metrics);
        } else if (peek() && peek()->kind == TokenKind::kIdent && (peek()->text == "by" || peek()->text == "without")) {
          const std::string clause = peek()->text;  // sum(x) by (label)
          ++i_;
          record_grouping(clause, label_list(), closed.metrics);
        }
      } else if (t.text == "[") {  // a range or subquery: durations and variables only
        while (i_ < tokens_.size() && !peek_is("]")) ++i_;
        ++i_;
      } else if (t.text == "{") {  // a selector without a metric name outside: {__name__="..."}
        Selector selector;
        matchers(selector);
        if (selector.metric.empty()) use_.errors.push_back("a selector without a metric name");
        add(std::move(selector));
      } else {
        ++i_;
      }
      return;
    }
    if (t.kind != TokenKind::kIdent) {
      ++i_;
      return;
    }
    const std::string& word = t.text;
    ++i_;
    if (kAggregations.contains(word)) {
      next_scope_.aggregation = true;
      if (peek() && peek()->kind == TokenKind::kIdent && (peek()->text == "by" || peek()->text == "without")) {
        next_scope_.clause = peek()->text;  // sum by (label) (x)
        ++i_;
        next_scope_.labels = label_list();
      }
      if (!peek_is("(")) use_.errors.push_back(word + " without its argument");
    } else if (kVectorMatching.contains(word)) {
      if (peek_is("(")) record_grouping(word, label_list(), {});
    } else if (kKeywords.contains(word)) {
      // and, or, bool, offset ...: nothing to read.
    } else if (word == "by" || word == "without") {
      use_.errors.push_back("'" + word + "' outside an aggregation");
    } else if (peek_is("(")) {
      if (!kFunctions.contains(word)) use_.errors.push_back("unknown function " + word);
    } else {
      Selector selector{word, {}};
      if (peek_is("{")) matchers(selector);
      add(std::move(selector));
    }
  }

  void add(Selector selector) {
    scopes_.back().metrics.push_back(selector.metric);
    use_.selectors.push_back(std::move(selector));
  }

  std::vector<Token> tokens_;
  size_t i_ = 0;
  std::vector<Scope> scopes_;
  Scope next_scope_;
  PromqlUse use_;
};

PromqlUse read_promql(std::string_view expression) { return PromqlReader(expression).read(); }

// ---------------------------------------------------------------------------------------
// The text exposition, as series: metric name (histograms as their _bucket, _sum and _count
// lines, as Prometheus stores them) to the label sets of its samples.
using Exposition = std::map<std::string, std::vector<std::map<std::string, std::string>>>;

Exposition parse_exposition(const std::string& text) {
  Exposition out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t name_end = line.find_first_of("{ ");
    if (name_end == std::string::npos) continue;
    std::map<std::string, std::string> labels;
    if (line[name_end] == '{') {
      size_t i = name_end + 1;
      while (i < line.size() && line[i] != '}') {
        const size_t eq = line.find('=', i);
        if (eq == std::string::npos) break;
        const std::string label = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;  // past ="
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) ++j;
          value += line[j];
        }
        labels[label] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
    }
    out[line.substr(0, name_end)].push_back(std::move(labels));
  }
  return out;
}

// The labels a ServiceMonitor's scrape attaches to every series (prometheus-operator's
// relabelling): an expression may group or match on them though /metrics does not carry them.
const NameSet kTargetLabels = words("job instance namespace pod service endpoint container");

bool has_label(const Exposition& scraped, const std::string& metric, const std::string& label) {
  const auto it = scraped.find(metric);
  if (it == scraped.end()) return false;
  return std::any_of(it->second.begin(), it->second.end(), [&](const auto& s) { return s.contains(label); });
}

// A label the expression may name on `metric`: one it is exported with, a target label, or
// exported_L when the exported L clashes with target label L (honorLabels off renames it).
bool label_allowed(const Exposition& scraped, const std::string& metric, const std::string& label) {
  if (has_label(scraped, metric, label) || kTargetLabels.contains(label)) return true;
  constexpr std::string_view kExported = "exported_";
  if (!label.starts_with(kExported)) return false;
  const std::string clashed = label.substr(kExported.size());
  return kTargetLabels.contains(clashed) && has_label(scraped, metric, clashed);
}

bool selects_some_series(const Exposition& scraped, const std::string& metric, const Matcher& m) {
  const auto& series = scraped.at(metric);
  if (m.op == "=")
    return std::any_of(series.begin(), series.end(), [&](const auto& s) {
      const auto it = s.find(m.label);
      return it != s.end() && it->second == m.value;
    });
  // A plain alternation (a|b|c) is a list of values: each must exist, so that one misspelt
  // alternative is caught. Any other regex must select something.
  const bool alternation = m.value.find_first_of(".*+?()[]{}^$\\") == std::string::npos;
  std::vector<std::string> patterns;
  if (alternation) {
    std::stringstream in(m.value);
    for (std::string part; std::getline(in, part, '|');) patterns.push_back(part);
  } else {
    patterns.push_back(m.value);
  }
  return std::all_of(patterns.begin(), patterns.end(), [&](const std::string& pattern) {
    const std::regex re(pattern);  // Prometheus anchors its regexes; regex_match does too
    return std::any_of(series.begin(), series.end(), [&](const auto& s) {
      const auto it = s.find(m.label);
      return it != s.end() && std::regex_match(it->second, re);
    });
  });
}

// What in `use` the exposition does not back: metrics not exported, labels a metric does
// not have, label values no series carries. Negative matchers and Grafana variables select
// nothing to check.
std::vector<std::string> unexported(const PromqlUse& use, const Exposition& scraped) {
  std::vector<std::string> problems = use.errors;
  for (const auto& s : use.selectors) {
    if (!scraped.contains(s.metric)) {
      problems.push_back("metric " + s.metric + " is not exported");
      continue;
    }
    for (const auto& m : s.matchers) {
      if (!label_allowed(scraped, s.metric, m.label)) {
        problems.push_back(s.metric + " has no label " + m.label);
      } else if ((m.op == "=" || m.op == "=~") && !m.value.empty() && m.value.find('$') == std::string::npos &&
                 !kTargetLabels.contains(m.label) && !selects_some_series(scraped, s.metric, m)) {
        problems.push_back(s.metric + "{" + m.label + m.op + "\"" + m.value + "\"} selects no exported series");
      }
    }
  }
  for (const auto& g : use.groupings) {
    const auto exported = [&](const std::string& metric) { return scraped.contains(metric); };
    std::vector<std::string> metrics;
    std::copy_if(g.metrics.begin(), g.metrics.end(), std::back_inserter(metrics), exported);
    if (metrics.empty()) continue;  // reported above
    const auto allowed = [&](const std::string& metric) { return label_allowed(scraped, metric, g.label); };
    // by and without name labels of every metric aggregated; a vector match's, of either side.
    if (kVectorMatching.contains(g.clause)) {
      if (std::none_of(metrics.begin(), metrics.end(), allowed))
        problems.push_back(g.clause + " (" + g.label + "): no such label on any of its metrics");
    } else if (const auto missing = std::find_if_not(metrics.begin(), metrics.end(), allowed);
               missing != metrics.end()) {
      problems.push_back(g.clause + " (" + g.label + "): no such label on " + *missing);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------
// The files.

struct Rule {
  std::string group, alert, expr, for_duration;
  std::map<std::string, std::string> labels, annotations;
};

std::vector<Rule> load_rules() {
  std::vector<Rule> rules;
  const YAML::Node doc = YAML::LoadFile(kRulesFile);
  for (const auto& group : doc["groups"]) {
    for (const auto& r : group["rules"]) {
      Rule rule;
      rule.group = group["name"].as<std::string>();
      rule.alert = r["alert"] ? r["alert"].as<std::string>() : "";
      rule.expr = r["expr"].as<std::string>();
      rule.for_duration = r["for"] ? r["for"].as<std::string>() : "";
      for (const auto& l : r["labels"]) rule.labels[l.first.as<std::string>()] = l.second.as<std::string>();
      for (const auto& a : r["annotations"]) rule.annotations[a.first.as<std::string>()] = a.second.as<std::string>();
      rules.push_back(std::move(rule));
    }
  }
  return rules;
}

json load_dashboard() { return json::parse(read_file(kDashboardFile)); }

// Every panel, those inside rows too, rows themselves left out.
std::vector<json> dashboard_panels(const json& dashboard) {
  std::vector<json> out;
  for (const auto& p : dashboard.value("panels", json::array())) {
    if (p.value("type", "") == "row") {
      for (const auto& inner : p.value("panels", json::array())) out.push_back(inner);
    } else {
      out.push_back(p);
    }
  }
  return out;
}

// (where, expression) of every alert and every dashboard query.
std::vector<std::pair<std::string, std::string>> every_expression() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& rule : load_rules()) out.emplace_back("alert " + rule.alert, rule.expr);
  for (const auto& p : dashboard_panels(load_dashboard()))
    for (const auto& t : p.value("targets", json::array()))
      out.emplace_back("panel \"" + p.value("title", "") + "\" " + t.value("refId", ""), t.value("expr", ""));
  return out;
}

std::vector<std::string> alert_test_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(kAlertTestsDir))
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// ---------------------------------------------------------------------------------------
// The PromQL reader itself, on fixed input.

TEST(PromqlReader, FindsMetricsMatchersAndGroupingsAndSkipsFunctionsKeywordsAndStrings) {
  const auto use = read_promql(R"promql(
    histogram_quantile(0.99, sum by (webhook, le) (rate(hook_seconds_bucket{webhook=~"/a|/b", code!="200"}[5m])))
    > 1 and on (instance) (up_total{job=~"$job"} offset 5m == bool 1)
    or sum(rate(errors_total[$__rate_interval])) without (pod)   # sum, by and rate are no metrics
    unless label_replace(vector(1), "x", "sum", "y", "(.*)") or {__name__="named_total"})promql");
  EXPECT_THAT(use.errors, IsEmpty());
  EXPECT_THAT(use.metrics(), UnorderedElementsAre("hook_seconds_bucket", "up_total", "errors_total", "named_total"));
  ASSERT_FALSE(use.selectors.empty());
  EXPECT_THAT(use.selectors[0].matchers, ElementsAre(Matcher{"webhook", "=~", "/a|/b"}, Matcher{"code", "!=", "200"}));
  std::vector<std::string> groupings;
  for (const auto& g : use.groupings) {
    std::string metrics;
    for (const auto& m : g.metrics) metrics += " " + m;
    groupings.push_back(g.clause + " " + g.label + ":" + metrics);
  }
  EXPECT_THAT(groupings, UnorderedElementsAre("by webhook: hook_seconds_bucket", "by le: hook_seconds_bucket",
                                              "without pod: errors_total",
                                              "on instance: errors_total hook_seconds_bucket named_total up_total"));
}

TEST(PromqlReader, ReportsUnknownFunctionsAndBrokenExpressions) {
  EXPECT_THAT(read_promql("rat(x_total[5m])").errors, Contains("unknown function rat"));
  EXPECT_THAT(read_promql("sum(x_total").errors, Contains("unbalanced parentheses"));
}

TEST(PromqlReader, AMisspeltMetricLabelOrValueIsReportedAgainstTheExposition) {
  const Exposition scraped = parse_exposition(R"(# TYPE secureservice_certificate_ready_status gauge
secureservice_certificate_ready_status{condition="True",name="checkout",namespace="shop"} 1
secureservice_certificate_ready_status{condition="False",name="checkout",namespace="shop"} 0
controller_runtime_webhook_latency_seconds_bucket{webhook="/validate-v1-pod",le="+Inf"} 3
)");
  const auto problems = [&](const char* expr) { return unexported(read_promql(expr), scraped); };
  // What the exposition backs, including the renamed exported_namespace and a target label.
  EXPECT_THAT(
      problems(
          R"(max by (exported_namespace, namespace, name, pod) (secureservice_certificate_ready_status{condition="False"}))"),
      IsEmpty());
  EXPECT_THAT(
      problems(
          R"(sum by (le) (rate(controller_runtime_webhook_latency_seconds_bucket{webhook=~"/validate-v1-pod"}[5m])))"),
      IsEmpty());
  EXPECT_THAT(problems("secureservice_certificate_redy_status == 1"),
              ElementsAre("metric secureservice_certificate_redy_status is not exported"));
  EXPECT_THAT(problems("controller_runtime_webhook_latency_seconds > 1"),  // a histogram has no bare series
              ElementsAre("metric controller_runtime_webhook_latency_seconds is not exported"));
  EXPECT_THAT(problems(R"(secureservice_certificate_ready_status{state="False"})"),
              ElementsAre("secureservice_certificate_ready_status has no label state"));
  EXPECT_THAT(problems(R"(secureservice_certificate_ready_status{condition="false"})"),
              ElementsAre(HasSubstr("selects no exported series")));
  EXPECT_THAT(
      problems(R"(controller_runtime_webhook_latency_seconds_bucket{webhook=~"/validate-v1-pod|/validate-v1-pods"})"),
      ElementsAre(HasSubstr("selects no exported series")));
  EXPECT_THAT(problems("max by (secret) (secureservice_certificate_ready_status)"),
              ElementsAre("by (secret): no such label on secureservice_certificate_ready_status"));
  EXPECT_THAT(problems("max by (exported_condition) (secureservice_certificate_ready_status)"), Not(IsEmpty()));
}

// ---------------------------------------------------------------------------------------
// The rules file.

TEST(AlertRules, IsAPrometheusRulesFileThatPromtoolAccepts) {
  const YAML::Node doc = YAML::LoadFile(kRulesFile);
  ASSERT_TRUE(doc.IsMap());
  EXPECT_EQ(doc.size(), 1u) << "the chart embeds the file as the PrometheusRule's spec: groups only";
  EXPECT_TRUE(doc["groups"].IsSequence());
  const auto r = run_process({SSO_PROMTOOL_BIN, "check", "rules", kRulesFile});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(AlertRules, EachAlertWaitsHasASeverityAndSaysWhatAndWhereAndWhatToDo) {
  const auto rules = load_rules();
  ASSERT_FALSE(rules.empty());
  for (const auto& rule : rules) {
    SCOPED_TRACE(rule.alert.empty() ? rule.expr : rule.alert);
    ASSERT_FALSE(rule.alert.empty()) << "recording rules belong elsewhere";
    EXPECT_FALSE(rule.for_duration.empty());
    const std::string severity = rule.labels.count("severity") ? rule.labels.at("severity") : "";
    EXPECT_TRUE(severity == "critical" || severity == "warning") << "severity: " << severity;
    for (const char* key : {"summary", "description", "runbook_url"})
      EXPECT_FALSE(rule.annotations.count(key) == 0 || rule.annotations.at(key).empty()) << key;
    if (rule.annotations.count("runbook_url")) {
      EXPECT_EQ(rule.annotations.at("runbook_url"), kRunbook);
    }
    // An alert about one SecureService names it (the expression puts its namespace in `namespace`).
    const auto metrics = read_promql(rule.expr).metrics();
    const bool per_service = std::any_of(metrics.begin(), metrics.end(), [](const std::string& m) {
      return m.starts_with("secureservice_certificate_");
    });
    if (per_service) {
      for (const char* key : {"summary", "description"}) {
        const std::string text = rule.annotations.count(key) ? rule.annotations.at(key) : "";
        EXPECT_THAT(text, HasSubstr("{{ $labels.namespace }}/{{ $labels.name }}")) << key;
      }
    }
  }
}

TEST(AlertRules, PromtoolUnitTestsShowEachAlertFiringAndStayingSilent) {
  const auto files = alert_test_files();
  ASSERT_FALSE(files.empty());
  std::vector<std::string> argv = {SSO_PROMTOOL_BIN, "test", "rules"};
  argv.insert(argv.end(), files.begin(), files.end());
  const auto r = run_process(argv);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;

  // Every alert has a case where it fires and one where it stays silent.
  std::set<std::string> fires, silent;
  for (const auto& file : files) {
    for (const auto& test : YAML::LoadFile(file)["tests"]) {
      for (const auto& c : test["alert_rule_test"]) {
        const auto name = c["alertname"].as<std::string>();
        (c["exp_alerts"] && c["exp_alerts"].size() > 0 ? fires : silent).insert(name);
      }
    }
  }
  for (const auto& rule : load_rules()) {
    EXPECT_TRUE(fires.contains(rule.alert)) << rule.alert << " is never shown firing";
    EXPECT_TRUE(silent.contains(rule.alert)) << rule.alert << " is never shown silent";
  }
}

// ---------------------------------------------------------------------------------------
// The dashboard.

TEST(Dashboard, IsGrafanaJsonWithAFixedUidAndAPrometheusDatasourceVariable) {
  const json d = load_dashboard();
  EXPECT_EQ(d.value("uid", ""), "secureservice-operator");
  EXPECT_FALSE(d.value("title", "").empty());
  EXPECT_GE(d.value("schemaVersion", 0), 36);
  EXPECT_FALSE(d.contains("__inputs")) << "provisioned as is, not imported: no ${DS_...} inputs";
  bool datasource_variable = false;
  for (const auto& v : d["templating"]["list"])
    if (v.value("name", "") == "datasource" && v.value("type", "") == "datasource" &&
        v.value("query", "") == "prometheus")
      datasource_variable = true;
  EXPECT_TRUE(datasource_variable);
}

TEST(Dashboard, EveryPanelQueriesPrometheusThroughTheVariableAndNoUidIsHardCoded) {
  const json d = load_dashboard();
  const auto panels = dashboard_panels(d);
  ASSERT_FALSE(panels.empty());
  std::set<int> ids;
  for (const auto& p : panels) {
    SCOPED_TRACE(p.value("title", "(untitled)"));
    EXPECT_FALSE(p.value("title", "").empty());
    EXPECT_TRUE(ids.insert(p.value("id", -1)).second) << "panel ids are unique";
    EXPECT_TRUE(p.contains("gridPos"));
    EXPECT_EQ(p.value("datasource", json::object()), (json{{"type", "prometheus"}, {"uid", "${datasource}"}}));
    const auto targets = p.value("targets", json::array());
    EXPECT_FALSE(targets.empty());
    std::set<std::string> refs;
    for (const auto& t : targets) {
      EXPECT_FALSE(t.value("expr", "").empty());
      EXPECT_TRUE(refs.insert(t.value("refId", "")).second) << "refIds are unique in a panel";
      EXPECT_EQ(t.value("datasource", json::object()).value("uid", ""), "${datasource}");
    }
  }
  // Anywhere in the file (variables too), a Prometheus datasource is the variable.
  std::function<void(const json&)> visit = [&](const json& node) {
    if (node.is_object()) {
      if (node.contains("datasource") && node["datasource"].is_object() &&
          node["datasource"].value("type", "") == "prometheus") {
        EXPECT_EQ(node["datasource"].value("uid", ""), "${datasource}") << node.dump();
      }
      if (node.contains("datasource") && node["datasource"].is_string()) {
        ADD_FAILURE() << "a datasource by name: " << node["datasource"];
      }
    }
    if (node.is_structured())
      for (const auto& child : node) visit(child);
  };
  visit(d);
}

// promtool parses the queries as recording rules, once the variables are what Grafana puts there.
TEST(Dashboard, EveryQueryIsPromqlPromtoolAcceptsOnceGrafanaSubstitutesItsVariables) {
  const std::vector<std::pair<std::string, std::string>> substitutions = {
      {"$__rate_interval", "2m"}, {"$__interval", "30s"}, {"$__range", "6h"}, {"$job", ".+"}};
  YAML::Emitter rules;
  rules << YAML::BeginMap << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq << YAML::BeginMap << YAML::Key
        << "name" << YAML::Value << "dashboard" << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  int n = 0;
  for (const auto& p : dashboard_panels(load_dashboard())) {
    for (const auto& t : p.value("targets", json::array())) {
      std::string expr = t.value("expr", "");
      for (const auto& [variable, value] : substitutions)
        for (size_t at; (at = expr.find(variable)) != std::string::npos;) expr.replace(at, variable.size(), value);
      // What is left is label_replace's $1, which Grafana leaves alone (no variable has that name).
      EXPECT_FALSE(std::regex_search(expr, std::regex(R"(\$[^0-9])"))) << "a variable Grafana would not fill: " << expr;
      rules << YAML::BeginMap << YAML::Key << "record" << YAML::Value << "dashboard:query" + std::to_string(++n)
            << YAML::Key << "expr" << YAML::Value << expr << YAML::EndMap;
    }
  }
  rules << YAML::EndSeq << YAML::EndMap << YAML::EndSeq << YAML::EndMap;
  TempDir dir;
  const auto r = run_process({SSO_PROMTOOL_BIN, "check", "rules", dir.write("dashboard-rules.yaml", rules.c_str())});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
}

TEST(Dashboard, ChartsCertificatesIssuanceReconcilesQueueAdmissionLeaderAndCa) {
  std::set<std::string> read;
  for (const auto& p : dashboard_panels(load_dashboard()))
    for (const auto& t : p.value("targets", json::array())) {
      const auto use = read_promql(t.value("expr", ""));
      EXPECT_THAT(use.errors, IsEmpty()) << t.value("expr", "");
      const auto metrics = use.metrics();
      read.insert(metrics.begin(), metrics.end());
    }
  for (const char* metric :
       {"secureservice_certificate_expiration_timestamp_seconds", "secureservice_certificate_renewal_timestamp_seconds",
        "secureservice_certificate_ready_status", "secureservice_certificates_issued_total",
        "secureservice_ca_expiration_timestamp_seconds", "controller_runtime_reconcile_total",
        "controller_runtime_reconcile_errors_total", "controller_runtime_reconcile_time_seconds_bucket",
        "workqueue_depth", "secureservice_admission_decisions_total", "controller_runtime_webhook_requests_total",
        "controller_runtime_webhook_latency_seconds_bucket", "leader_election_master_status"})
    EXPECT_TRUE(read.contains(metric)) << metric;
}

// ---------------------------------------------------------------------------------------
// Against the operator: what the alerts and the dashboard read is what it exports.

class ObservabilityE2E : public WebhookClusterTest {
 protected:
  // Elected, as the chart runs it: leader_election_master_status exists only then.
  std::vector<std::string> extra_operator_flags() const override {
    return {"--leader-elect", "--leader-election-namespace", "secureservice-system"};
  }

  // The series of a SecureService, an issued certificate, the CA, and both admission
  // decisions, once the leader reconciled checkout and the pod webhook judged two pods.
  Exposition scrape_after_work() {
    apply_checkout();
    std::string body;
    EXPECT_TRUE(eventually(
        [&] {
          body = scrape();
          return body.find(
                     "secureservice_certificate_ready_status{condition=\"True\",name=\"checkout\","
                     "namespace=\"shop\"} 1") != std::string::npos;
        },
        std::chrono::seconds(20)))
        << "checkout never became Ready: " << body << operator_->output();
    const auto admitted = create(pod({}));
    EXPECT_EQ(admitted.exit_code, 0) << admitted.err;
    const auto denied = create(pod({.name = "stray", .secret = ""}));
    EXPECT_EQ(denied.exit_code, 1) << denied.err;
    return parse_exposition(scrape());
  }
};

TEST_F(ObservabilityE2E, EveryMetricLabelAndValueTheAlertsAndDashboardReadIsExported) {
  const Exposition scraped = scrape_after_work();
  ASSERT_TRUE(scraped.contains("secureservice_admission_decisions_total"));
  for (const auto& [where, expr] : every_expression()) {
    SCOPED_TRACE(where);
    EXPECT_THAT(unexported(read_promql(expr), scraped), IsEmpty()) << expr;
  }
}

// The rules take max by service and count leaders across replicas because of what a
// follower exports: the controller, queue, webhook and leader series, but no per-service or
// CA series (those come from reconciles, which only the leader runs).
TEST_F(ObservabilityE2E, AFollowerExportsTheOperatorSeriesButNoCertificateOrCaSeries) {
  const Exposition leader = scrape_after_work();
  const uint16_t follower_port = free_port_pair();
  BackgroundProcess follower(
      operator_argv(follower_port, {"--webhook-service", "secureservice-system/secureservice-operator-webhook",
                                    "--leader-elect", "--leader-election-namespace", "secureservice-system"}),
      dir_.file("follower.log"));
  ASSERT_TRUE(eventually([&] { return http_code(follower_port, "/readyz") == 200; }, std::chrono::seconds(20)))
      << follower.output();
  std::string body;
  http_code(static_cast<uint16_t>(follower_port + 1), "/metrics", &body);
  const Exposition followed = parse_exposition(body);

  const auto values = [](const std::string& text, const std::string& series) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
      if (line.starts_with(series + " ")) out.push_back(line.substr(series.size() + 1));
    return out;
  };
  const std::string lease = "leader_election_master_status{name=\"secureservice-operator\"}";
  EXPECT_THAT(values(scrape(), lease), ElementsAre("1"));
  EXPECT_THAT(values(body, lease), ElementsAre("0"));
  EXPECT_TRUE(followed.contains("controller_runtime_reconcile_total"));  // what SecureServiceOperatorAbsent reads
  EXPECT_TRUE(followed.contains("controller_runtime_webhook_requests_total"));
  for (const char* only_leader :
       {"secureservice_certificate_expiration_timestamp_seconds", "secureservice_certificate_renewal_timestamp_seconds",
        "secureservice_certificate_ready_status", "secureservice_ca_expiration_timestamp_seconds"}) {
    EXPECT_TRUE(leader.contains(only_leader)) << only_leader;
    EXPECT_FALSE(followed.contains(only_leader)) << only_leader;
  }
}

}  // namespace
}  // namespace sso::testing
