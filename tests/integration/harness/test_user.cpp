#include "harness/test_user.h"

#include <pwd.h>

#include "harness/command.h"
#include "harness/harness_error.h"

namespace nfsfuse::it {
namespace {

std::optional<Credentials> look_up(const char* name) {
    const passwd* entry = ::getpwnam(name);
    if (!entry) return std::nullopt;
    return Credentials{entry->pw_uid, entry->pw_gid};
}

}  // namespace

Credentials ensure_test_user() {
    if (auto existing = look_up(kTestUserName)) return *existing;
    const auto result = run_command({"useradd", "--system", "--user-group", "--no-create-home",
                                     "--shell", "/usr/sbin/nologin", kTestUserName});
    // Exit 9: another test process created it just now.
    if (!result.succeeded() && !result.status.exited_with(9))
        throw HarnessError("cannot create the test user: " + result.describe());
    if (auto created = look_up(kTestUserName)) return *created;
    throw HarnessError(std::string("user ") + kTestUserName + " still missing after useradd");
}

}  // namespace nfsfuse::it
