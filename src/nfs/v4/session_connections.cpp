#include "nfs/v4/session_connections.h"

#include <algorithm>
#include <cstring>

#include "util/error.h"

namespace nfsfuse::nfs::v4 {

bool carries_data(const char* what) {
    return std::strcmp(what, "READ") == 0 || std::strcmp(what, "WRITE") == 0 ||
           std::strcmp(what, "COMMIT") == 0;
}

SessionConnections::SessionConnections(std::vector<std::unique_ptr<RpcTransport>> transports) {
    if (transports.empty()) throw Error(EINVAL, "an NFSv4.1 session needs a connection");
    for (std::unique_ptr<RpcTransport>& transport : transports) {
        auto connection = std::make_unique<Connection>();
        connection->transport = std::move(transport);
        connections_.push_back(std::move(connection));
    }
}

size_t SessionConnections::choose(bool data) {
    if (!data || connections_.size() == 1) return 0;
    const size_t data_connections = connections_.size() - 1;
    return 1 + next_data_.fetch_add(1) % data_connections;
}

bool SessionConnections::Connection::bound_to(uint64_t generation) const {
    // Bound on the TCP connection that is up now, and no call on that one broke since.
    return bound_generation == generation && bound_connection == transport->connections_made() &&
           bound_connection > lost_connection;
}

void SessionConnections::ensure_bound(size_t index, uint64_t generation, const Bind& bind) {
    Connection& connection = *connections_[index];
    std::lock_guard lock(connection.mutex);
    if (connection.bound_to(generation)) return;
    bind(*connection.transport);  // makes the TCP connection again first when it broke
    connection.bound_generation = generation;
    connection.bound_connection = connection.transport->connections_made();
}

void SessionConnections::bound_by_create_session(size_t index, uint64_t generation) {
    Connection& connection = *connections_[index];
    std::lock_guard lock(connection.mutex);
    connection.bound_generation = generation;
    connection.bound_connection = connection.transport->connections_made();
}

void SessionConnections::lost_binding(size_t index, uint64_t connection_number) {
    Connection& connection = *connections_[index];
    std::lock_guard lock(connection.mutex);
    connection.lost_connection = std::max(connection.lost_connection, connection_number);
}

}  // namespace nfsfuse::nfs::v4
