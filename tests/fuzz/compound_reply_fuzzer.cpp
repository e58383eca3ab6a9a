// Fuzzes what the NFSv4.1 client does with a server's reply to one of its COMPOUNDs: the record
// as RpcConnection receives it (reply_xid to match it, then decode_reply_header), the COMPOUND4res
// read with the same CompoundReply readers, in the same order, as Session, Nfs4Client and
// Nfs4Locks read it, and what they do with the values (owners to ids, lock owner names, slots).
// Input: one byte choosing which COMPOUND the reply answers, then the RPC reply record.
// A malformed reply may only throw nfsfuse::Error; anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string_view>

#include "nfs/rpc/rpc_message.h"
#include "nfs/types.h"
#include "nfs/v4/compound_reply.h"
#include "nfs/v4/lock_owner_names.h"
#include "nfs/v4/owner_names.h"
#include "nfs/v4/slot_table.h"
#include "util/error.h"

namespace nfsfuse::nfs::v4 {
namespace {

// Nfs4Client::attributes_of.
Attributes attributes_of(const Fattr4& fattr) {
    Attributes attributes = fattr.attributes;
    attributes.uid = uid_from_owner(fattr.owner);
    attributes.gid = gid_from_group(fattr.owner_group);
    if (fattr.has(Attr::change)) attributes.change = fattr.change;
    return attributes;
}

// Session::call reads SEQUENCE first, then hands the rest to the operation's reader.
void sequence(CompoundReply& r) {
    const SequenceReply reply = r.sequence();
    SlotTable slots(4);
    slots.completed({reply.slotid % 4, reply.sequenceid}, reply.target_highest_slotid);
}

// Nfs4Locks::holder_of: the owner named in a denial is looked up among this mount's.
void lock_holder(const LockDenied& denied) {
    const LockOwnerNames names(0x1122334455667788);
    (void)names.owner_of(denied.owner);
}

using Reader = std::function<void(CompoundReply&)>;

// Most COMPOUNDs: SEQUENCE, PUTFH of the file, then the operation's own results.
Reader on_file(void (*read)(CompoundReply&)) {
    return [read](CompoundReply& r) {
        sequence(r);
        r.putfh();
        read(r);
    };
}

// The client's COMPOUNDs, each as its caller reads the reply.
const Reader kReaders[] = {
    // Session setup and teardown (no SEQUENCE).
    [](CompoundReply& r) { r.exchange_id(); },
    [](CompoundReply& r) {
        const CreateSessionReply created = r.create_session();
        SlotTable slots(slots_granted(16, created.fore.maxrequests));
    },
    [](CompoundReply& r) { r.destroy_session(); },
    [](CompoundReply& r) { r.destroy_clientid(); },
    // Lease renewal: SEQUENCE alone.
    [](CompoundReply& r) { sequence(r); },
    [](CompoundReply& r) {
        sequence(r);
        r.reclaim_complete();
    },
    // The export's root at mount time.
    [](CompoundReply& r) {
        sequence(r);
        r.putrootfh();
        r.lookup();
        r.lookup();
        r.getfh();
        r.getattr();
    },
    // GETATTR, and statfs.
    on_file([](CompoundReply& r) { attributes_of(r.getattr()); }),
    // SETATTR.
    on_file([](CompoundReply& r) {
        r.setattr();
        attributes_of(r.getattr());
    }),
    // LOOKUP (and rmdir's).
    on_file([](CompoundReply& r) {
        r.lookup();
        r.getfh();
        attributes_of(r.getattr());
    }),
    // ACCESS.
    on_file([](CompoundReply& r) { r.access(); }),
    // READLINK.
    on_file([](CompoundReply& r) { r.readlink(); }),
    // READ: the data is copied out up to the length asked for.
    on_file([](CompoundReply& r) {
        const ReadReply data = r.read();
        const std::string copy(data.data.substr(0, 4096));
        attributes_of(r.getattr());
    }),
    // WRITE.
    on_file([](CompoundReply& r) {
        attributes_of(r.getattr());
        r.write();
        attributes_of(r.getattr());
    }),
    // COMMIT.
    on_file([](CompoundReply& r) { r.commit(); }),
    // OPEN of an existing file.
    on_file([](CompoundReply& r) {
        r.open();
        attributes_of(r.getattr());
    }),
    // OPEN with create.
    on_file([](CompoundReply& r) {
        r.open();
        r.getfh();
        attributes_of(r.getattr());
    }),
    // CLOSE.
    on_file([](CompoundReply& r) { r.close(); }),
    // CREATE of a directory, symlink or special file.
    on_file([](CompoundReply& r) {
        r.create();
        r.getfh();
        attributes_of(r.getattr());
    }),
    // LINK.
    on_file([](CompoundReply& r) {
        r.savefh();
        r.putfh();
        r.link();
        r.restorefh();
        attributes_of(r.getattr());
    }),
    // REMOVE.
    on_file([](CompoundReply& r) { r.remove(); }),
    // RENAME.
    on_file([](CompoundReply& r) {
        r.savefh();
        r.putfh();
        r.rename();
    }),
    // READDIR: entries with handle and attributes become looked-up entries.
    on_file([](CompoundReply& r) {
        ReaddirReply reply = r.readdir();
        const AttrMask wanted = file_attribute_request();
        for (DirectoryEntry4& entry : reply.entries)
            if (entry.attributes.filehandle && entry.attributes.present.has_all(wanted))
                attributes_of(entry.attributes);
    }),
    // LOCK: granted, or denied by someone (maybe one of our own owners).
    on_file([](CompoundReply& r) {
        const LockReply reply = r.lock();
        if (reply.denied) lock_holder(*reply.denied);
    }),
    // LOCKT.
    on_file([](CompoundReply& r) {
        if (const auto denied = r.lockt()) lock_holder(*denied);
    }),
    // LOCKU.
    on_file([](CompoundReply& r) { r.locku(); }),
    // FREE_STATEID.
    [](CompoundReply& r) {
        sequence(r);
        r.free_stateid();
    },
};

constexpr size_t kReaderCount = sizeof kReaders / sizeof kReaders[0];

}  // namespace
}  // namespace nfsfuse::nfs::v4

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace nfsfuse::nfs;
    using namespace nfsfuse::nfs::v4;
    if (size < 1) return 0;
    const Reader& read = kReaders[data[0] % kReaderCount];
    const std::string_view record(reinterpret_cast<const char*>(data) + 1, size - 1);
    try {
        reply_xid(record);
        XdrDecoder in(record);
        decode_reply_header(in);
        CompoundReply reply(record.substr(in.position()));
        read(reply);
    } catch (const nfsfuse::Error&) {
        // Refused: what a malformed or failed reply must do.
    }
    return 0;
}
