// Small text helpers for validating user input and quoting it in error messages, shared by the
// nfsfuse option parser and the driver's volume options.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace nfsfuse::text {

bool is_control(char c);
bool is_ascii_digit(char c);
bool is_ascii_letter(char c);
// Visible ASCII: no space, no control bytes, nothing a shell or /proc/mounts would mangle.
bool is_visible_ascii(char c);
bool has_control_char(std::string_view text);

// Quotes user input for a message: 'text'. Control bytes and every non-ASCII byte become \xNN
// escapes, so a stray newline cannot forge a log line and the message is always valid UTF-8 (the
// driver puts messages into JSON replies). Input longer than 256 bytes is cut, saying so.
std::string quoted(std::string_view text);

// Decimal digits only: no sign, no spaces, no hex, not empty. Too many digits saturate to the
// maximum, so the caller's range check refuses them with the range in its message.
std::optional<uint64_t> parse_decimal(std::string_view text);

// Hostnames and IPv4 literals. '_' is not valid DNS but appears in real names (and /etc/hosts).
bool is_hostname_char(char c);
// An IPv6 address (no brackets), optionally with a "%zone" (link-local fe80:: addresses need one).
bool is_ipv6_literal(std::string_view text);

}  // namespace nfsfuse::text
