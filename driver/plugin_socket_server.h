// Serves the Docker plugin API (PluginApi) over HTTP on a unix socket, with cpp-httplib.
// Either it binds the socket itself: at start a stale socket file is removed (only if nothing
// listens on it and it is a socket), and the socket is made mode 0600 before the first request is
// accepted, so only root may talk to it. Or it serves the socket systemd passed
// (socket_activation.h), whose path and mode belong to the socket unit and are never touched.
// Thread-safety: serve() blocks on the calling thread; stop() may be called from any thread.
#pragma once

#include <filesystem>
#include <memory>

#include "driver/plugin_api.h"
#include "driver/socket_activation.h"

namespace httplib {
class Server;
}

namespace nfsfuse::driver {

class PluginSocketServer {
  public:
    // Binds the socket. Throws Error: EADDRINUSE if another driver answers on it, EEXIST if the
    // path is something other than a socket.
    PluginSocketServer(PluginApi& api, std::filesystem::path socket_path);
    // Serves a socket that is already listening; it is closed by stop(), never unlinked.
    PluginSocketServer(PluginApi& api, InheritedSocket inherited);
    ~PluginSocketServer();

    void serve();  // until stop()
    void stop();

  private:
    void route_requests();

    PluginApi& api_;
    std::filesystem::path socket_path_;
    bool owns_path_;  // bound here, so unlinked when done
    std::unique_ptr<httplib::Server> server_;
};

}  // namespace nfsfuse::driver
