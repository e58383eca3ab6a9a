// The ONC-RPC transport of the NFSv4.1 client against a real nfs-ganesha: NULL calls and a real
// (minor version 0) COMPOUND come back, many calls in flight from many threads each get their own
// reply, the server's refusals become clear errors, and a restarted server is reached again by
// the next call after the waiting ones failed with ECONNRESET.
#include "nfs/rpc/rpc_connection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "harness/mounted_test.h"
#include "harness/process_resources.h"
#include "nfs/rpc/xdr.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;
using nfs::CallContext;
using nfs::RpcConnection;
using nfs::RpcSettings;
using nfs::XdrDecoder;
using nfs::XdrEncoder;

constexpr uint32_t kNull = 0;
constexpr uint32_t kCompound = 1;

RpcSettings settings_for(const GaneshaServer& server) {
    RpcSettings settings;
    settings.host = "127.0.0.1";
    settings.port = server.nfs_port();
    settings.credentials.machine_name = "nfsfuse-test";
    settings.connect_timeout = 5s;
    return settings;
}

// The start of a COMPOUND of minor version 0 with `operations` operations, the first PUTROOTFH.
// Hand-encoded: the transport is what is tested.
XdrEncoder compound_from_root(uint32_t operations) {
    XdrEncoder out;
    out.string("");  // tag
    out.u32(0);      // minor version
    out.u32(operations);
    out.u32(24);  // OP_PUTROOTFH
    return out;
}

// PUTROOTFH, GETFH.
std::string root_handle_compound() {
    XdrEncoder out = compound_from_root(2);
    out.u32(10);  // OP_GETFH
    return out.take();
}

TEST(RpcConnectionTest, NullAndACompoundComeBack) {
    RpcConnection connection(settings_for(shared_server()));
    EXPECT_EQ(connection.call(CallContext{}, kNull, "", 10s).results(), "");

    const nfs::RpcReply reply =
        connection.call(CallContext{}, kCompound, root_handle_compound(), 10s);
    XdrDecoder in(reply.results());
    EXPECT_EQ(in.u32("status"), 0u) << "NFS4_OK";
    in.string(64, "tag");
    EXPECT_EQ(in.u32("count"), 2u);
    EXPECT_EQ(in.u32("op"), 24u);
    EXPECT_EQ(in.u32("PUTROOTFH status"), 0u);
    EXPECT_EQ(in.u32("op"), 10u);
    EXPECT_EQ(in.u32("GETFH status"), 0u);
    EXPECT_GT(in.opaque(128, "file handle").size(), 0u);
}

// PUTROOTFH, LOOKUP of a name, the name's bytes left out when
// `with_name` is false (a payload sends them).
std::string lookup_compound(std::string_view name, bool with_name) {
    XdrEncoder out = compound_from_root(2);
    out.u32(15);  // OP_LOOKUP
    if (with_name) {
        out.string(name);
    } else {
        out.u32(static_cast<uint32_t>(name.size()));
    }
    return out.take();
}

TEST(RpcConnectionTest, APayloadGoesAfterTheArgumentsPaddedAsTheirLastOpaque) {
    RpcConnection connection(settings_for(shared_server()));
    // 3, 2, 1 and 0 bytes of padding after the name: the server decodes the same
    // call either way (a wrong length or padding would be GARBAGE_ARGS or NFS4ERR_BADXDR).
    for (const std::string name : {"abcde", "abcdef", "abcdefg", "abcdefgh"}) {
        const nfs::RpcReply whole =
            connection.call(CallContext{}, kCompound, lookup_compound(name, true), 10s);
        const nfs::RpcReply split = connection.call(CallContext{}, connection.take_xid(), kCompound,
                                                    lookup_compound(name, false), name, 10s);
        EXPECT_EQ(split.results(), whole.results()) << name;
        XdrDecoder in(split.results());
        EXPECT_EQ(in.u32("status"), 2u) << name << ": NFS4ERR_NOENT, the name was read whole";
    }
}

TEST(RpcConnectionTest, ManyCallsInFlightFromManyThreadsEachGetTheirReply) {
    RpcConnection connection(settings_for(shared_server()));
    std::atomic<int> good{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 50; ++i) {
                const nfs::RpcReply reply =
                    connection.call(CallContext{}, kCompound, root_handle_compound(), 10s);
                XdrDecoder in(reply.results());
                if (in.u32("status") == 0) ++good;
            }
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(good.load(), 400);
    EXPECT_EQ(connection.connections_made(), 1u);
}

TEST(RpcConnectionTest, AnUnknownVersionIsAClearError) {
    RpcSettings settings = settings_for(shared_server());
    settings.version = 7;
    RpcConnection connection(settings);
    try {
        connection.call(CallContext{}, kNull, "", 10s);
        ADD_FAILURE() << "NFS version 7 was accepted";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EPROTONOSUPPORT) << error.what();
    }
}

TEST(RpcConnectionTest, NoServerIsAClearErrorAtConnect) {
    RpcSettings settings = settings_for(shared_server());
    settings.port = 1;  // nothing listens there
    try {
        RpcConnection connection(settings);
        ADD_FAILURE() << "connected to port 1";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), ECONNREFUSED) << error.what();
    }
}

TEST(RpcConnectionTest, ARestartedServerIsReachedAgainByTheNextCall) {
    GaneshaServer server(scratch_root() / current_test_dir_name());
    RpcConnection connection(settings_for(server));
    EXPECT_EQ(connection.call(CallContext{}, kNull, "", 10s).results(), "");
    server.stop();
    try {
        connection.call(CallContext{}, kNull, "", 5s);
        ADD_FAILURE() << "a call to a stopped server succeeded";
    } catch (const Error& error) {
        EXPECT_TRUE(error.errnum() == ECONNRESET || error.errnum() == ECONNREFUSED ||
                    error.errnum() == ETIMEDOUT)
            << error.what();
    }
    server.start();
    EXPECT_EQ(connection.call(CallContext{}, kNull, "", 10s).results(), "");
    EXPECT_GE(connection.connections_made(), 2u);
}

TEST(RpcConnectionTest, ACancelledCallEndsWithEintr) {
    RpcConnection connection(settings_for(shared_server()));
    CallContext context;
    context.cancel();
    try {
        connection.call(context, kNull, "", 10s);
        ADD_FAILURE() << "a cancelled call returned";
    } catch (const Error& error) {
        EXPECT_EQ(error.errnum(), EINTR);
    }
}

}  // namespace
}  // namespace nfsfuse::it
