#include "domain/model.h"

namespace loyalty::core::domain {

const char* ledgerKindName(LedgerKind kind) {
  switch (kind) {
    case LedgerKind::kEarn:
      return "earn";
    case LedgerKind::kRefund:
      return "refund";
    case LedgerKind::kAdjustment:
      return "adjustment";
    case LedgerKind::kExpiry:
      return "expiry";
  }
  return "unknown";
}

}  // namespace loyalty::core::domain
