// Serves the Docker plugin API (PluginApi) over HTTP on a unix socket, with cpp-httplib.
// At start a stale socket file is removed (only if nothing listens on it and it is a socket), and
// the socket is made mode 0600 before the first request is accepted: only root may talk to it.
// Thread-safety: serve() blocks on the calling thread; stop() may be called from any thread.
#pragma once

#include <filesystem>
#include <memory>

#include "driver/plugin_api.h"

namespace httplib {
class Server;
}

namespace nfsfuse::driver {

class PluginSocketServer {
  public:
    // Binds the socket. Throws Error: EADDRINUSE if another driver answers on it, EEXIST if the
    // path is something other than a socket.
    PluginSocketServer(PluginApi& api, std::filesystem::path socket_path);
    ~PluginSocketServer();

    void serve();  // until stop()
    void stop();

  private:
    PluginApi& api_;
    std::filesystem::path socket_path_;
    std::unique_ptr<httplib::Server> server_;
};

}  // namespace nfsfuse::driver
