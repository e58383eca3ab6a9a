// Talks to a Docker volume plugin the way dockerd does: HTTP/1.1 POST over a unix socket, no
// Content-Type, JSON body. One connection per call.
// Thread-safety: no shared state; one PluginClient may be used from several threads.
#pragma once

#include <filesystem>
#include <string>

namespace nfsfuse::it {

struct PluginReply {
    int http_status = 0;
    std::string body;
};

class PluginClient {
  public:
    explicit PluginClient(std::filesystem::path socket) : socket_(std::move(socket)) {}

    // Throws HarnessError if the socket cannot be reached or the reply is not HTTP.
    PluginReply post(const std::string& endpoint, const std::string& body) const;

  private:
    std::filesystem::path socket_;
};

}  // namespace nfsfuse::it
