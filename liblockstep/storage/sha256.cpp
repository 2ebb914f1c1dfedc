#include "util/atomic_file.h"

#include <memory>

#include <openssl/evp.h>

#include "util/errors.h"

namespace lockstep
{

namespace
{

struct DigestContextFree {
    void operator()(EVP_MD_CTX *context) const { EVP_MD_CTX_free(context); }
};

} // namespace

std::string sha256Hex(std::span<const uint8_t> bytes)
{
    const std::span<const uint8_t> whole[] = {bytes};
    return sha256HexOfPieces(whole);
}

std::string sha256HexOfPieces(std::span<const std::span<const uint8_t>> pieces)
{
    const std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
    bool ok = context && EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) == 1;
    for (const std::span<const uint8_t> piece : pieces)
        ok = ok && EVP_DigestUpdate(context.get(), piece.data(), piece.size()) == 1;
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!ok || EVP_DigestFinal_ex(context.get(), digest, &length) != 1)
        throw RunError("SHA-256 failed");

    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 0xf]);
    }
    return hex;
}

} // namespace lockstep
