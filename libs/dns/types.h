#pragma once

// Numeric constants of the DNS protocol that the codec and the servers share (RFC 1035 §3.2,
// §4.1.1; RFC 2782; RFC 3596; RFC 6891). Each is a small enum over its wire integer so that a
// value the codec does not know (a new RR type, a private opcode) still round-trips.

#include <cstdint>
#include <string>

namespace dcos::dns {

// TYPE and QTYPE values (16 bits on the wire).
enum class RRType : uint16_t {
  kA = 1,
  kNS = 2,
  kCNAME = 5,
  kSOA = 6,
  kPTR = 12,
  kMX = 15,
  kTXT = 16,
  kAAAA = 28,
  kSRV = 33,
  kOPT = 41,
  kIXFR = 251,
  kAXFR = 252,
  kANY = 255,
};

// CLASS and QCLASS values. For OPT the field is the UDP payload size instead (RFC 6891 §6.1.2).
enum class RRClass : uint16_t {
  kIN = 1,
  kCH = 3,
  kNONE = 254,
  kANY = 255,
};

// OPCODE, 4 bits of the header.
enum class Opcode : uint8_t {
  kQuery = 0,
  kIQuery = 1,
  kStatus = 2,
  kNotify = 4,
  kUpdate = 5,
};

// RCODE: 4 bits in the header, extended to 12 bits by the OPT record (RFC 6891 §6.1.3).
enum class Rcode : uint16_t {
  kNoError = 0,
  kFormErr = 1,
  kServFail = 2,
  kNXDomain = 3,
  kNotImp = 4,
  kRefused = 5,
  kBadVers = 16,  // needs EDNS0: the high 8 bits travel in the OPT record
};

// The three record sections of a message, in wire order.
enum class Section : uint8_t {
  kAnswer = 0,
  kAuthority = 1,
  kAdditional = 2,
};

// "A", "SRV", ...; "TYPE<n>" for values without a mnemonic (RFC 3597 §5).
std::string RRTypeName(RRType type);
// "NOERROR", "NXDOMAIN", ...; "RCODE<n>" for others.
std::string RcodeName(Rcode rcode);

// Protocol limits.
inline constexpr size_t kHeaderSize = 12;
inline constexpr size_t kMaxLabelLength = 63;
// Of a name in wire form: label length bytes, label bytes and the terminating zero byte.
inline constexpr size_t kMaxNameWireLength = 255;
// A UDP answer without EDNS0 (RFC 1035 §4.2.1).
inline constexpr size_t kMaxUdpNoEdns = 512;
// A whole message (TCP length prefix is 16 bits).
inline constexpr size_t kMaxMessageSize = 65535;

}  // namespace dcos::dns
