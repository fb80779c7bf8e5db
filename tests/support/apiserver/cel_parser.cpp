#include "apiserver/cel_parser.hpp"

#include <set>

namespace sso::apiserver::cel {
namespace {

constexpr int kMaxDepth = 250;  // cel-go's default recursion limit

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  NodePtr parse_all(SyntaxError* error) {
    NodePtr root = expr();
    if (root && peek().kind != Token::Kind::End) root = fail(peek(), "extraneous input '" + describe(peek()) + "'");
    if (!root) *error = error_;
    return root;
  }

 private:
  const Token& peek() const { return t_[pos_]; }
  bool is(const char* punct) const { return peek().kind == Token::Kind::Punct && peek().text == punct; }
  bool accept(const char* punct) {
    if (!is(punct)) return false;
    ++pos_;
    return true;
  }
  static std::string describe(const Token& t) {
    if (t.kind == Token::Kind::End) return "<EOF>";
    if (t.kind == Token::Kind::Punct || t.kind == Token::Kind::Ident) return t.text;
    return "literal";
  }
  NodePtr fail(const Token& at, std::string message) {
    if (error_.message.empty()) error_ = {at.offset, std::move(message)};
    return nullptr;
  }
  NodePtr expect(const char* punct) {
    if (accept(punct)) return std::make_shared<Node>();
    return fail(peek(), "mismatched input '" + describe(peek()) + "' expecting '" + punct + "'");
  }

  static NodePtr call(std::string name, std::vector<NodePtr> args, size_t offset, NodePtr target = nullptr) {
    auto n = std::make_shared<Node>();
    n->kind = Node::Kind::Call;
    n->name = std::move(name);
    n->args = std::move(args);
    n->operand = std::move(target);
    n->offset = offset;
    return n;
  }

  struct DepthGuard {
    int& depth;
    explicit DepthGuard(int& d) : depth(d) { ++depth; }
    ~DepthGuard() { --depth; }
  };

  NodePtr expr() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return fail(peek(), "expression recursion limit exceeded");
    NodePtr cond = logical_or();
    if (!cond || !is("?")) return cond;
    const size_t offset = peek().offset;
    ++pos_;
    NodePtr then = logical_or();
    if (!then || !expect(":")) return nullptr;
    NodePtr otherwise = expr();
    if (!otherwise) return nullptr;
    auto n = std::make_shared<Node>();
    n->kind = Node::Kind::Conditional;
    n->args = {cond, then, otherwise};
    n->offset = offset;
    return n;
  }

  NodePtr logical_or() {
    NodePtr lhs = logical_and();
    while (lhs && is("||")) {
      const size_t offset = peek().offset;
      ++pos_;
      NodePtr rhs = logical_and();
      if (!rhs) return nullptr;
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::Or;
      n->args = {lhs, rhs};
      n->offset = offset;
      lhs = n;
    }
    return lhs;
  }

  NodePtr logical_and() {
    NodePtr lhs = relation();
    while (lhs && is("&&")) {
      const size_t offset = peek().offset;
      ++pos_;
      NodePtr rhs = relation();
      if (!rhs) return nullptr;
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::And;
      n->args = {lhs, rhs};
      n->offset = offset;
      lhs = n;
    }
    return lhs;
  }

  NodePtr relation() {
    NodePtr lhs = addition();
    while (lhs) {
      std::string op;
      for (const char* p : {"==", "!=", "<=", ">=", "<", ">"})
        if (is(p)) op = p;
      if (op.empty() && peek().kind == Token::Kind::Ident && peek().text == "in") op = "in";
      if (op.empty()) break;
      const size_t offset = peek().offset;
      ++pos_;
      NodePtr rhs = addition();
      if (!rhs) return nullptr;
      lhs = call(op == "in" ? "@in" : "_" + op + "_", {lhs, rhs}, offset);
    }
    return lhs;
  }

  NodePtr addition() {
    NodePtr lhs = multiplication();
    while (lhs && (is("+") || is("-"))) {
      const std::string op = peek().text;
      const size_t offset = peek().offset;
      ++pos_;
      NodePtr rhs = multiplication();
      if (!rhs) return nullptr;
      lhs = call("_" + op + "_", {lhs, rhs}, offset);
    }
    return lhs;
  }

  NodePtr multiplication() {
    NodePtr lhs = unary();
    while (lhs && (is("*") || is("/") || is("%"))) {
      const std::string op = peek().text;
      const size_t offset = peek().offset;
      ++pos_;
      NodePtr rhs = unary();
      if (!rhs) return nullptr;
      lhs = call("_" + op + "_", {lhs, rhs}, offset);
    }
    return lhs;
  }

  NodePtr unary() {
    DepthGuard guard(depth_);
    if (depth_ > kMaxDepth) return fail(peek(), "expression recursion limit exceeded");
    const size_t offset = peek().offset;
    if (accept("!")) {
      NodePtr operand = unary();
      return operand ? call("!_", {operand}, offset) : nullptr;
    }
    if (accept("-")) {
      // A negative literal is one literal, so that -9223372036854775808 fits.
      if (peek().kind == Token::Kind::Int && !next_is_member()) {
        const Token lit = t_[pos_++];
        auto n = std::make_shared<Node>();
        n->offset = offset;
        n->value = Value::integer(static_cast<int64_t>(0 - lit.uint_value));
        return member(n);
      }
      if (peek().kind == Token::Kind::Double && !next_is_member()) {
        const Token lit = t_[pos_++];
        auto n = std::make_shared<Node>();
        n->offset = offset;
        n->value = Value::real(-lit.double_value);
        return member(n);
      }
      NodePtr operand = unary();
      return operand ? call("-_", {operand}, offset) : nullptr;
    }
    return member(primary());
  }

  bool next_is_member() const {
    const Token& n = t_[pos_ + 1 < t_.size() ? pos_ + 1 : pos_];
    return n.kind == Token::Kind::Punct && (n.text == "." || n.text == "[");
  }

  NodePtr member(NodePtr operand) {
    while (operand) {
      const size_t offset = peek().offset;
      if (accept(".")) {
        if (peek().kind != Token::Kind::Ident)
          return fail(peek(), "no viable alternative at input '." + describe(peek()) + "'");
        const std::string name = t_[pos_++].text;
        if (accept("(")) {
          std::vector<NodePtr> args;
          if (!arguments(args, ")")) return nullptr;
          operand = method(operand, name, std::move(args), offset);
        } else {
          auto n = std::make_shared<Node>();
          n->kind = Node::Kind::Select;
          n->operand = operand;
          n->name = name;
          n->offset = offset;
          operand = n;
        }
      } else if (accept("[")) {
        NodePtr index = expr();
        if (!index || !expect("]")) return nullptr;
        operand = call("_[_]", {operand, index}, offset);
      } else {
        break;
      }
    }
    return operand;
  }

  // The receiver-style macros become comprehension nodes.
  NodePtr method(NodePtr target, const std::string& name, std::vector<NodePtr> args, size_t offset) {
    static const std::set<std::string> kMacros = {"all", "exists", "exists_one", "map", "filter"};
    const bool macro_arity = (name == "map" && (args.size() == 2 || args.size() == 3)) || args.size() == 2;
    if (kMacros.count(name) && macro_arity) {
      if (args[0]->kind != Node::Kind::Ident) return fail(t_[pos_ - 1], "argument must be a simple name");
      auto n = std::make_shared<Node>();
      n->kind = Node::Kind::Comprehension;
      n->name = name;
      n->operand = target;
      n->var = args[0]->name;
      n->args.assign(args.begin() + 1, args.end());
      n->offset = offset;
      return n;
    }
    return call(name, std::move(args), offset, std::move(target));
  }

  bool arguments(std::vector<NodePtr>& args, const char* close) {
    if (accept(close)) return true;
    while (true) {
      NodePtr arg = expr();
      if (!arg) return false;
      args.push_back(arg);
      if (accept(close)) return true;
      if (!accept(",")) {
        fail(peek(), "mismatched input '" + describe(peek()) + "' expecting {',', '" + close + "'}");
        return false;
      }
      if (accept(close)) return true;  // trailing comma
    }
  }

  NodePtr primary() {
    const Token& tok = peek();
    auto n = std::make_shared<Node>();
    n->offset = tok.offset;
    switch (tok.kind) {
      case Token::Kind::Int:
        if (tok.uint_value > 9223372036854775807ULL) return fail(tok, "integer literal out of range");
        n->value = Value::integer(tok.int_value);
        ++pos_;
        return n;
      case Token::Kind::Uint:
        n->value = Value::unsigned_integer(tok.uint_value);
        ++pos_;
        return n;
      case Token::Kind::Double:
        n->value = Value::real(tok.double_value);
        ++pos_;
        return n;
      case Token::Kind::String:
        n->value = Value::string(tok.text);
        ++pos_;
        return n;
      case Token::Kind::Bytes:
        n->value = Value::bytes(tok.text);
        ++pos_;
        return n;
      case Token::Kind::Ident: return identifier();
      case Token::Kind::End: return fail(tok, "mismatched input '<EOF>' expecting expression");
      case Token::Kind::Punct: break;
    }
    if (accept("(")) {
      NodePtr inner = expr();
      if (!inner || !expect(")")) return nullptr;
      return inner;
    }
    if (accept("[")) {
      n->kind = Node::Kind::List;
      return arguments(n->args, "]") ? n : nullptr;
    }
    if (accept("{")) {
      n->kind = Node::Kind::Map;
      if (accept("}")) return n;
      while (true) {
        NodePtr key = expr();
        if (!key || !expect(":")) return nullptr;
        NodePtr value = expr();
        if (!value) return nullptr;
        n->args.push_back(key);
        n->args.push_back(value);
        if (accept("}")) return n;
        if (!accept(",")) return fail(peek(), "mismatched input '" + describe(peek()) + "' expecting {',', '}'}");
        if (accept("}")) return n;
      }
    }
    if (accept(".")) return identifier();  // a leading dot names the root scope
    return fail(tok, "mismatched input '" + describe(tok) + "' expecting expression");
  }

  NodePtr identifier() {
    const Token tok = t_[pos_++];
    auto n = std::make_shared<Node>();
    n->offset = tok.offset;
    if (tok.kind != Token::Kind::Ident) return fail(tok, "expected an identifier");
    if (tok.text == "true" || tok.text == "false") {
      n->value = Value::boolean(tok.text == "true");
      return n;
    }
    if (tok.text == "null") return n;
    static const std::set<std::string> kReserved = {"as",        "break",  "const",  "continue", "else",  "for",
                                                    "function",  "if",     "import", "let",      "loop",  "package",
                                                    "namespace", "return", "var",    "void",     "while", "in"};
    if (kReserved.count(tok.text)) return fail(tok, "reserved identifier: " + tok.text);
    if (!accept("(")) {
      n->kind = Node::Kind::Ident;
      n->name = tok.text;
      return n;
    }
    std::vector<NodePtr> args;
    if (!arguments(args, ")")) return nullptr;
    if (tok.text == "has") {
      if (args.size() != 1 || args[0]->kind != Node::Kind::Select) return fail(tok, "invalid argument to has() macro");
      n->kind = Node::Kind::Has;
      n->operand = args[0]->operand;
      n->name = args[0]->name;
      return n;
    }
    return call(tok.text, std::move(args), tok.offset);
  }

  std::vector<Token> t_;
  size_t pos_ = 0;
  int depth_ = 0;
  SyntaxError error_;
};

}  // namespace

NodePtr parse(const std::string& expression, SyntaxError* error) {
  auto tokens = tokenize(expression, error);
  if (!tokens) return nullptr;
  return Parser(std::move(*tokens)).parse_all(error);
}

}  // namespace sso::apiserver::cel
