#include "util/text.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <limits>

namespace nfsfuse::text {
namespace {

// Longest piece of user input repeated in a message: a 1 MB option value must not become a 1 MB
// error reply (or log line).
constexpr size_t kMaxQuoted = 256;

}  // namespace

bool is_control(char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

bool is_ascii_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_ascii_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_visible_ascii(char c) {
    return c > ' ' && c < 0x7f;
}

bool has_control_char(std::string_view text) {
    return std::any_of(text.begin(), text.end(), is_control);
}

std::string quoted(std::string_view text) {
    std::string out = "'";
    const std::string_view shown = text.substr(0, kMaxQuoted);
    for (const char c : shown) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (byte < 0x20 || byte >= 0x7f) {
            char escape[8];
            std::snprintf(escape, sizeof escape, "\\x%02x", static_cast<unsigned>(byte));
            out += escape;
        } else {
            out += c;
        }
    }
    out += '\'';
    if (shown.size() < text.size())
        out += " (cut, " + std::to_string(text.size()) + " bytes in all)";
    return out;
}

std::optional<uint64_t> parse_decimal(std::string_view text) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), is_ascii_digit)) return std::nullopt;
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc::result_out_of_range) return std::numeric_limits<uint64_t>::max();
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

bool is_hostname_char(char c) {
    return is_ascii_letter(c) || is_ascii_digit(c) || c == '.' || c == '-' || c == '_';
}

bool is_ipv6_literal(std::string_view text) {
    const size_t percent = text.find('%');
    if (percent != std::string_view::npos) {
        const std::string_view zone = text.substr(percent + 1);
        if (zone.empty() || !std::all_of(zone.begin(), zone.end(), is_hostname_char)) return false;
    }
    const std::string address(text.substr(0, percent));
    in6_addr parsed{};
    return inet_pton(AF_INET6, address.c_str(), &parsed) == 1;
}

}  // namespace nfsfuse::text
