#include "driver/plugin_socket_server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "driver/connection_threads.h"
#include "util/error.h"

namespace nfsfuse::driver {
namespace {

// Connections served at once, each on a thread of its own (connection_threads.h): far more than
// dockerd opens, which is one per call in flight; more only wait for a free thread.
constexpr size_t kMaxConnectionThreads = 256;
constexpr const char* kPluginContentType = "application/vnd.docker.plugins.v1+json";
// cpp-httplib 0.11 ignores the port of an AF_UNIX socket, but with port 0 it then looks up the
// TCP port it was given (getsockname), finds none and reports failure: any other value works.
constexpr int kUnusedPort = 1;

bool someone_listens_on(const std::filesystem::path& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
    const bool connected =
        connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return connected;
}

// A socket file left by a driver that died: dockerd would keep retrying it for 15-30 s.
void remove_stale_socket(const std::filesystem::path& path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) return;
    if (!S_ISSOCK(st.st_mode))
        throw Error(EEXIST, path.string() + " exists and is not a socket; not touching it");
    if (someone_listens_on(path))
        throw Error(EADDRINUSE, "another process already serves " + path.string());
    spdlog::info("removing the stale socket {}", path.string());
    if (unlink(path.c_str()) != 0 && errno != ENOENT)
        throw Error(errno, "cannot remove the stale socket " + path.string());
}

// httplib accepts on svr_sock_ (protected for derived servers) in listen_after_bind() and closes
// it in stop(); setting it is how a socket made elsewhere is served.
class ServerOnInheritedSocket : public httplib::Server {
  public:
    explicit ServerOnInheritedSocket(int listening_fd) { svr_sock_ = listening_fd; }
};

}  // namespace

// Not delegating constructors: a delegated-to constructor would make a throw here run the
// destructor, which unlinks the path (of another driver's live socket, for EADDRINUSE).
PluginSocketServer::PluginSocketServer(PluginApi& api, std::filesystem::path socket_path)
    : api_(api), socket_path_(std::move(socket_path)), owns_path_(true) {
    if (socket_path_.string().size() >= sizeof(sockaddr_un{}.sun_path))
        throw Error(ENAMETOOLONG, "socket path too long: " + socket_path_.string());
    std::filesystem::create_directories(socket_path_.parent_path());
    remove_stale_socket(socket_path_);
    server_ = std::make_unique<httplib::Server>();
    server_->set_address_family(AF_UNIX);
    route_requests();
    // Created with no permissions for others from the start, then exactly 0600.
    const mode_t old_umask = umask(0177);
    const bool bound = server_->bind_to_port(socket_path_.string(), kUnusedPort);
    umask(old_umask);
    if (!bound) throw Error(EADDRNOTAVAIL, "cannot listen on " + socket_path_.string());
    if (chmod(socket_path_.c_str(), 0600) != 0)
        throw Error(errno, "cannot make " + socket_path_.string() + " private");
}

PluginSocketServer::PluginSocketServer(PluginApi& api, InheritedSocket inherited)
    : api_(api),
      socket_path_(std::move(inherited.path)),
      owns_path_(false),
      server_(std::make_unique<ServerOnInheritedSocket>(inherited.fd.release())) {
    route_requests();
}

void PluginSocketServer::route_requests() {
    server_->new_task_queue = [] { return new ConnectionThreads(kMaxConnectionThreads); };
    // A larger body is refused from its Content-Length, before it is read (HTTP 413).
    server_->set_payload_max_length(kMaxRequestBytes);
    // Whatever httplib refuses itself still gets an answer in the plugin protocol's form, which
    // dockerd shows to the user.
    server_->set_error_handler([](const httplib::Request&, httplib::Response& response) {
        const std::string message =
            response.status == 413
                ? "request body over the limit of " + std::to_string(kMaxRequestBytes) + " bytes"
                : "HTTP request refused with status " + std::to_string(response.status);
        response.set_content(PluginApi::error_body(message), kPluginContentType);
    });
    // dockerd keeps idle connections open; stop() waits for them up to this long (default 5 s),
    // which would make every driver restart that much slower. Reconnecting a unix socket is cheap.
    server_->set_keep_alive_timeout(1);
    // dockerd POSTs every call; the path is the endpoint. Errors are JSON bodies with status 200.
    server_->Post(R"(/.*)", [this](const httplib::Request& request, httplib::Response& response) {
        response.set_content(api_.handle(request.path, request.body), kPluginContentType);
    });
}

PluginSocketServer::~PluginSocketServer() {
    server_->stop();
    if (owns_path_) unlink(socket_path_.c_str());
}

void PluginSocketServer::serve() {
    spdlog::info("serving the Docker plugin API on {}{}", socket_path_.string(),
                 owns_path_ ? "" : " (the socket systemd passed)");
    server_->listen_after_bind();
}

void PluginSocketServer::stop() {
    server_->stop();
}

}  // namespace nfsfuse::driver
