#include "apiserver/cel_lexer.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>

#include "apiserver/cel_value.hpp"

namespace sso::apiserver::cel {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(const std::string& s) : s_(s) {}

  std::optional<std::vector<Token>> run(SyntaxError* error) {
    std::vector<Token> out;
    while (true) {
      skip_space_and_comments();
      Token t;
      t.offset = pos_;
      if (pos_ >= s_.size()) {
        out.push_back(t);
        return out;
      }
      if (!next(t)) {
        *error = error_;
        return std::nullopt;
      }
      out.push_back(std::move(t));
    }
  }

 private:
  void skip_space_and_comments() {
    while (pos_ < s_.size()) {
      if (std::isspace(static_cast<unsigned char>(s_[pos_]))) {
        ++pos_;
      } else if (s_.compare(pos_, 2, "//") == 0) {
        while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  bool fail(size_t at, std::string message) {
    error_ = {at, std::move(message)};
    return false;
  }

  bool next(Token& t) {
    const char c = s_[pos_];
    // Raw and bytes prefixes: r"..", b"..", rb"..", br"..".
    if (c == 'r' || c == 'R' || c == 'b' || c == 'B') {
      size_t p = pos_;
      bool raw = false, bytes = false;
      for (int i = 0; i < 2 && p < s_.size(); ++i) {
        const char x = static_cast<char>(std::tolower(static_cast<unsigned char>(s_[p])));
        if (x == 'r' && !raw) {
          raw = true;
          ++p;
        } else if (x == 'b' && !bytes) {
          bytes = true;
          ++p;
        } else {
          break;
        }
      }
      if (p < s_.size() && (s_[p] == '"' || s_[p] == '\'')) {
        pos_ = p;
        return string_literal(t, raw, bytes);
      }
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t start = pos_;
      while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) ++pos_;
      t.kind = Token::Kind::Ident;
      t.text = s_.substr(start, pos_ - start);
      return true;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))))
      return number(t);
    if (c == '"' || c == '\'') return string_literal(t, false, false);
    static const char* kPuncts[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "+", "-", "*",
                                    "/",  "%",  "?",  ":",  ".",  ",",  "(", ")", "[", "]", "{", "}"};
    for (const char* p : kPuncts) {
      const std::string punct = p;
      if (s_.compare(pos_, punct.size(), punct) == 0) {
        t.kind = Token::Kind::Punct;
        t.text = punct;
        pos_ += punct.size();
        return true;
      }
    }
    return fail(pos_, std::string("token recognition error at: '") + c + "'");
  }

  bool number(Token& t) {
    const size_t start = pos_;
    if (s_.compare(pos_, 2, "0x") == 0 || s_.compare(pos_, 2, "0X") == 0) {
      pos_ += 2;
      const size_t digits = pos_;
      while (pos_ < s_.size() && hex_digit(s_[pos_]) >= 0) ++pos_;
      if (digits == pos_) return fail(start, "malformed hex literal");
      return integer(t, s_.substr(digits, pos_ - digits), 16, start);
    }
    bool is_double = false;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ + 1 < s_.size() && s_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
      is_double = true;
      ++pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      size_t p = pos_ + 1;
      if (p < s_.size() && (s_[p] == '+' || s_[p] == '-')) ++p;
      if (p < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p]))) {
        is_double = true;
        pos_ = p;
        while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      }
    }
    if (is_double) {
      t.kind = Token::Kind::Double;
      t.double_value = std::strtod(s_.substr(start, pos_ - start).c_str(), nullptr);
      return true;
    }
    return integer(t, s_.substr(start, pos_ - start), 10, start);
  }

  bool integer(Token& t, const std::string& digits, int base, size_t start) {
    const bool is_uint = pos_ < s_.size() && (s_[pos_] == 'u' || s_[pos_] == 'U');
    if (is_uint) ++pos_;
    errno = 0;
    const unsigned long long v = std::strtoull(digits.c_str(), nullptr, base);
    if (errno == ERANGE) return fail(start, "integer literal out of range");
    if (is_uint) {
      t.kind = Token::Kind::Uint;
      t.uint_value = v;
    } else {
      // -9223372036854775808 is the negation of a literal one past INT64_MAX; the parser folds it.
      if (v > 9223372036854775808ULL) return fail(start, "integer literal out of range");
      t.kind = Token::Kind::Int;
      t.uint_value = v;
      t.int_value = static_cast<int64_t>(v);
    }
    return true;
  }

  bool string_literal(Token& t, bool raw, bool bytes) {
    const size_t start = pos_;
    const char quote = s_[pos_];
    const bool triple = s_.compare(pos_, 3, std::string(3, quote)) == 0;
    pos_ += triple ? 3 : 1;
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) return fail(start, "unterminated string literal");
      const char c = s_[pos_];
      if (triple ? s_.compare(pos_, 3, std::string(3, quote)) == 0 : c == quote) {
        pos_ += triple ? 3 : 1;
        break;
      }
      if (!triple && c == '\n') return fail(start, "unterminated string literal");
      if (c != '\\' || raw) {
        out += c;
        ++pos_;
        continue;
      }
      if (++pos_ >= s_.size()) return fail(start, "unterminated string literal");
      const char e = s_[pos_++];
      switch (e) {
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case '`': out += '`'; break;
        case '?': out += '?'; break;
        case 'x':
        case 'X':
        case 'u':
        case 'U': {
          const int n = (e == 'x' || e == 'X') ? 2 : (e == 'u' ? 4 : 8);
          uint32_t cp = 0;
          for (int i = 0; i < n; ++i) {
            if (pos_ >= s_.size() || hex_digit(s_[pos_]) < 0) return fail(pos_, "invalid escape sequence");
            cp = cp * 16 + static_cast<uint32_t>(hex_digit(s_[pos_++]));
          }
          if ((e == 'x' || e == 'X') && bytes)
            out += static_cast<char>(cp);
          else if (cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000))
            return fail(pos_, "invalid unicode code point");
          else
            append_utf8(out, cp);
          break;
        }
        default:
          if (e >= '0' && e <= '3') {
            uint32_t v = static_cast<uint32_t>(e - '0');
            for (int i = 0; i < 2; ++i) {
              if (pos_ >= s_.size() || s_[pos_] < '0' || s_[pos_] > '7') return fail(pos_, "invalid escape sequence");
              v = v * 8 + static_cast<uint32_t>(s_[pos_++] - '0');
            }
            if (bytes)
              out += static_cast<char>(v);
            else
              append_utf8(out, v);
            break;
          }
          return fail(pos_ - 2, std::string("invalid escape sequence: \\") + e);
      }
    }
    t.kind = bytes ? Token::Kind::Bytes : Token::Kind::String;
    t.text = std::move(out);
    return true;
  }

  const std::string& s_;
  size_t pos_ = 0;
  SyntaxError error_;
};

}  // namespace

std::optional<std::vector<Token>> tokenize(const std::string& expression, SyntaxError* error) {
  return Lexer(expression).run(error);
}

std::string locate(const std::string& expression, size_t offset) {
  size_t line = 1, col = 0;
  for (size_t i = 0; i < offset && i < expression.size(); ++i) {
    if (expression[i] == '\n') {
      ++line;
      col = 0;
    } else {
      ++col;
    }
  }
  return "<input>:" + std::to_string(line) + ":" + std::to_string(col + 1);
}

}  // namespace sso::apiserver::cel
