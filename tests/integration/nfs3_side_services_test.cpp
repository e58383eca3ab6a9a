// The NFSv3 path's side services on our own RPC against the real thing: the portmapper (the
// rpcbind every ganesha registers with) answers GETPORT, and says so when a program is not
// registered; MOUNT's MNT gives an export's root handle, and its refusal of a path that is not
// exported becomes an errno and a message naming server, export and status. NLM is tested through
// Nfs3LockTest.
#include <gtest/gtest.h>

#include <string>

#include "harness/mounted_test.h"
#include "harness/thrown_errno.h"
#include "nfs/mount_protocol.h"
#include "nfs/portmapper.h"
#include "util/error.h"

namespace nfsfuse::it {
namespace {

using namespace std::chrono_literals;

// A program number in the range for transient programs that nobody registers.
constexpr uint32_t kUnregisteredProgram = 0x4e465346;

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
    const auto error = error_thrown_by(
        [&] { nfs::portmapper_lookup("127.0.0.1", kUnregisteredProgram, 1, 5s, call_); });
    ASSERT_TRUE(error) << "an unregistered program has no port";
    EXPECT_EQ(error->errnum(), ECONNREFUSED) << error->what();
    EXPECT_NE(std::string(error->what()).find(std::to_string(kUnregisteredProgram)),
              std::string::npos)
        << error->what();
    EXPECT_NE(std::string(error->what()).find("not registered"), std::string::npos)
        << error->what();
}

TEST_F(Nfs3SideServicesTest, MountGivesTheRootHandleAndARefusalNamesTheExport) {
    const nfs::FileHandle root = nfs::mount_export(request(server().export_dir().string()));
    EXPECT_FALSE(root.bytes.empty());
    EXPECT_LE(root.bytes.size(), nfs::kNfs3HandleMax);

    const std::string missing = server().export_dir().string() + "-not-exported";
    const auto error = error_thrown_by([&] { nfs::mount_export(request(missing)); });
    ASSERT_TRUE(error) << "a path that is not exported was mounted";
    // ganesha 4.3 answers a path it does not export with MNT3ERR_ACCES (not NOENT).
    EXPECT_EQ(error->errnum(), EACCES) << error->what();
    EXPECT_NE(std::string(error->what()).find("127.0.0.1:" + missing), std::string::npos)
        << error->what();
    EXPECT_NE(std::string(error->what()).find("MNT3ERR_ACCES"), std::string::npos) << error->what();
}

TEST_F(Nfs3SideServicesTest, MountOfAPortWhereNothingListensFailsWithECONNREFUSED) {
    nfs::MountRequest nowhere = request(server().export_dir().string());
    nowhere.mount_port = 1;  // tcpmux: nothing listens there on a test machine
    const auto error = error_thrown_by([&] { nfs::mount_export(nowhere); });
    ASSERT_TRUE(error) << "mounted where nothing listens";
    EXPECT_EQ(error->errnum(), ECONNREFUSED) << error->what();
}

}  // namespace
}  // namespace nfsfuse::it
