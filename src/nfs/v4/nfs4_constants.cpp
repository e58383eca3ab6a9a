#include "nfs/v4/nfs4_constants.h"

namespace nfsfuse::nfs::v4 {

const char* op_name(Op op) {
    switch (op) {
        case Op::access:
            return "ACCESS";
        case Op::close:
            return "CLOSE";
        case Op::commit:
            return "COMMIT";
        case Op::create:
            return "CREATE";
        case Op::getattr:
            return "GETATTR";
        case Op::getfh:
            return "GETFH";
        case Op::link:
            return "LINK";
        case Op::lock:
            return "LOCK";
        case Op::lockt:
            return "LOCKT";
        case Op::locku:
            return "LOCKU";
        case Op::lookup:
            return "LOOKUP";
        case Op::lookupp:
            return "LOOKUPP";
        case Op::open:
            return "OPEN";
        case Op::putfh:
            return "PUTFH";
        case Op::putrootfh:
            return "PUTROOTFH";
        case Op::read:
            return "READ";
        case Op::readdir:
            return "READDIR";
        case Op::readlink:
            return "READLINK";
        case Op::remove:
            return "REMOVE";
        case Op::rename:
            return "RENAME";
        case Op::restorefh:
            return "RESTOREFH";
        case Op::savefh:
            return "SAVEFH";
        case Op::setattr:
            return "SETATTR";
        case Op::verify:
            return "VERIFY";
        case Op::write:
            return "WRITE";
        case Op::exchange_id:
            return "EXCHANGE_ID";
        case Op::create_session:
            return "CREATE_SESSION";
        case Op::destroy_session:
            return "DESTROY_SESSION";
        case Op::bind_conn_to_session:
            return "BIND_CONN_TO_SESSION";
        case Op::free_stateid:
            return "FREE_STATEID";
        case Op::sequence:
            return "SEQUENCE";
        case Op::destroy_clientid:
            return "DESTROY_CLIENTID";
        case Op::reclaim_complete:
            return "RECLAIM_COMPLETE";
        case Op::illegal:
            return "ILLEGAL";
    }
    return "unknown operation";
}

}  // namespace nfsfuse::nfs::v4
