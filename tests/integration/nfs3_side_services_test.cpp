// The NFSv3 path's side services on our own RPC against the real thing: the portmapper (the
// rpcbind every ganesha registers with) answers GETPORT, and says so when a program is not
// registered; MOUNT's MNT gives an export's root handle, and its refusal of a path that is not
// exported becomes an errno and a message naming server, export and status. NLM is tested through
// Nfs3LockTest.
#include <gtest/gtest.h>

#include <string>

#include "harness/mounted_test.h"
#include "nfs/mount_protocol.h"
#include "nfs/portmapper.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

// A program number in the range for transient programs that nobody registers.
constexpr uint32_t kUnregisteredProgram = 0x4e465346;

// The error `call` throws; fails the test when it throws none.
template <class Call>
Error error_of(Call call) {
    try {
        call();
    } catch (const Error& error) {
        return error;
    }
    ADD_FAILURE() << "the call did not fail";
    return Error(0, "");
}

class Nfs3SideServicesTest : public ServerTest {
  protected:
    nfs::MountRequest request(const std::string& export_path) {
        return {"127.0.0.1", export_path, server().mount_port(), 0, 0, 10s};
    }
    const nfs::CallContext call_;
};

TEST_F(Nfs3SideServicesTest, ThePortmapperKnowsItselfAndNamesWhatItDoesNotKnow) {
    // The server's start made sure rpcbind runs; it registers itself on port 111.
    EXPECT_EQ(nfs::portmapper_lookup("127.0.0.1", nfs::kPortmapperProgram, nfs::kPortmapperVersion,
                                     5s, call_),
              nfs::kPortmapperPort);
    const Error error =
        error_of([&] { nfs::portmapper_lookup("127.0.0.1", kUnregisteredProgram, 1, 5s, call_); });
    EXPECT_EQ(error.errnum(), ECONNREFUSED) << error.what();
    EXPECT_NE(std::string(error.what()).find(std::to_string(kUnregisteredProgram)),
              std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("not registered"), std::string::npos) << error.what();
}

TEST_F(Nfs3SideServicesTest, MountGivesTheRootHandleAndARefusalNamesTheExport) {
    const nfs::FileHandle root = nfs::mount_export(request(server().export_dir().string()));
    EXPECT_FALSE(root.bytes.empty());
    EXPECT_LE(root.bytes.size(), nfs::kNfs3HandleMax);

    const std::string missing = server().export_dir().string() + "-not-exported";
    const Error error = error_of([&] { nfs::mount_export(request(missing)); });
    // ganesha 4.3 answers a path it does not export with MNT3ERR_ACCES (not NOENT).
    EXPECT_EQ(error.errnum(), EACCES) << error.what();
    EXPECT_NE(std::string(error.what()).find("127.0.0.1:" + missing), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("MNT3ERR_ACCES"), std::string::npos) << error.what();
}

TEST_F(Nfs3SideServicesTest, MountOfAPortWhereNothingListensFailsWithECONNREFUSED) {
    nfs::MountRequest nowhere = request(server().export_dir().string());
    nowhere.mount_port = 1;  // tcpmux: nothing listens there on a test machine
    const Error error = error_of([&] { nfs::mount_export(nowhere); });
    EXPECT_EQ(error.errnum(), ECONNREFUSED) << error.what();
}

}  // namespace
}  // namespace nfsfuse::it
