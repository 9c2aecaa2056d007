// cpp/cpu/cpu_device.cpp
// The one CPU device: its name and vendor, RAM, and the capabilities JSON (SIMD, threads, cores).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <utility>

#if defined(__x86_64__)
#include <cpuid.h>
#endif
#if defined(__APPLE__)
#include <sys/sysctl.h>
#endif

#include "cpu_backend.hpp"

namespace dotcompute::cpu {
namespace {

constexpr uint32_t kCacheLineBytes = 64;

#if defined(__x86_64__)
constexpr const char* kArchitecture = "x86_64";
#elif defined(__aarch64__)
constexpr const char* kArchitecture = "aarch64";
#else
constexpr const char* kArchitecture = "unknown";
#endif

std::string trim(std::string text) {
  const size_t first = text.find_first_not_of(" \t\n");
  if (first == std::string::npos) return "";
  const size_t last = text.find_last_not_of(" \t\n");
  return text.substr(first, last - first + 1);
}

/// The value of the first "key : value" line of /proc/cpuinfo with this key, or "".
std::string cpuinfo_value(const char* key) {
  std::FILE* file = std::fopen("/proc/cpuinfo", "r");
  if (file == nullptr) return "";
  char line[512];
  std::string value;
  const size_t key_length = std::strlen(key);
  while (std::fgets(line, sizeof(line), file) != nullptr) {
    if (std::strncmp(line, key, key_length) != 0) continue;
    const char* colon = std::strchr(line, ':');
    if (colon == nullptr) continue;
    value = trim(colon + 1);
    break;
  }
  std::fclose(file);
  return value;
}

/// Physical cores: distinct (package, core) pairs of /proc/cpuinfo, else the online CPUs.
uint32_t physical_cores() {
  std::set<std::pair<std::string, std::string>> cores;
  if (std::FILE* file = std::fopen("/proc/cpuinfo", "r")) {
    char line[512];
    std::string package;
    while (std::fgets(line, sizeof(line), file) != nullptr) {
      const char* colon = std::strchr(line, ':');
      if (colon == nullptr) continue;
      if (std::strncmp(line, "physical id", 11) == 0) package = trim(colon + 1);
      if (std::strncmp(line, "core id", 7) == 0) cores.emplace(package, trim(colon + 1));
    }
    std::fclose(file);
  }
  if (!cores.empty()) return static_cast<uint32_t>(cores.size());
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  return online > 0 ? static_cast<uint32_t>(online) : 1;
}

void cpu_name_and_vendor(std::string* name, std::string* vendor) {
#if defined(__x86_64__)
  unsigned int registers[12] = {};
  unsigned int highest_extended = __get_cpuid_max(0x80000000u, nullptr);
  if (highest_extended >= 0x80000004u) {
    for (unsigned int leaf = 0; leaf < 3; ++leaf) {
      __get_cpuid(0x80000002u + leaf, &registers[4 * leaf], &registers[4 * leaf + 1],
                  &registers[4 * leaf + 2], &registers[4 * leaf + 3]);
    }
    char brand[49] = {};
    std::memcpy(brand, registers, 48);
    *name = trim(brand);
  }
  unsigned int highest, ebx, ecx, edx;
  if (__get_cpuid(0, &highest, &ebx, &ecx, &edx)) {
    char id[13] = {};
    std::memcpy(id, &ebx, 4);
    std::memcpy(id + 4, &edx, 4);
    std::memcpy(id + 8, &ecx, 4);
    if (std::strcmp(id, "GenuineIntel") == 0) {
      *vendor = "Intel";
    } else if (std::strcmp(id, "AuthenticAMD") == 0) {
      *vendor = "AMD";
    } else {
      *vendor = id;
    }
  }
#elif defined(__APPLE__)
  char brand[256] = {};
  size_t size = sizeof(brand) - 1;
  if (sysctlbyname("machdep.cpu.brand_string", brand, &size, nullptr, 0) == 0) *name = brand;
  *vendor = "Apple";
#elif defined(__aarch64__)
  // Arm Linux has no brand string; "model name" exists on some kernels, "Hardware" on others.
  *name = cpuinfo_value("model name");
  if (name->empty()) *name = cpuinfo_value("Hardware");
  const std::string implementer = cpuinfo_value("CPU implementer");
  if (implementer == "0x41") *vendor = "ARM";
  if (implementer == "0x61") *vendor = "Apple";
  if (implementer == "0x51") *vendor = "Qualcomm";
  if (implementer == "0x48") *vendor = "HiSilicon";
  if (implementer == "0xc0") *vendor = "Ampere";
  if (implementer == "0x4e") *vendor = "NVIDIA";
#endif
  if (name->empty()) *name = cpuinfo_value("model name");
  if (name->empty()) *name = std::string(kArchitecture) + " CPU";
  if (vendor->empty()) *vendor = cpuinfo_value("vendor_id");
  if (vendor->empty()) *vendor = "unknown";
}

uint64_t physical_memory() {
#if defined(__APPLE__)
  uint64_t bytes = 0;
  size_t size = sizeof(bytes);
  if (sysctlbyname("hw.memsize", &bytes, &size, nullptr, 0) == 0) return bytes;
  return 0;
#else
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? uint64_t(pages) * uint64_t(page_size) : 0;
#endif
}

void copy_text(char* destination, size_t capacity, const std::string& text) {
  std::snprintf(destination, capacity, "%s", text.c_str());
}

dc_status count(int32_t* out_count) {
  if (out_count == nullptr) return fail(DC_STATUS_INVALID_ARGUMENT, "out_count is NULL");
  *out_count = 1;
  return DC_STATUS_OK;
}

dc_status info(int32_t device, dc_device_info* out_info) {
  if (dc_status status = check_device(device)) return status;
  if (dc_status status = plugin_support::check_device_info(out_info)) return status;
  try {
    static const std::pair<std::string, std::string> name_and_vendor = [] {
      std::pair<std::string, std::string> result;
      cpu_name_and_vendor(&result.first, &result.second);
      return result;
    }();
    static const uint64_t memory_total = physical_memory();
    std::memset(out_info, 0, sizeof(*out_info));
    out_info->struct_size = sizeof(dc_device_info);
    out_info->compute_units = static_cast<uint32_t>(thread_count());
    out_info->memory_total = memory_total;
    out_info->memory_alignment = kMemoryAlignment;
    out_info->host_visible = 1;
    out_info->max_work_group_size = kMaxWorkGroupSize;
    copy_text(out_info->name, sizeof(out_info->name), name_and_vendor.first);
    copy_text(out_info->vendor, sizeof(out_info->vendor), name_and_vendor.second);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_INTERNAL, "cpu device info failed: %s", error.what());
  }
  return DC_STATUS_OK;
}

dc_status capabilities(int32_t device, char* buffer, size_t capacity, size_t* out_required) {
  if (dc_status status = check_device(device)) return status;
  try {
    const SimdLevel active = active_simd_level();
    const SimdLevel detected = detected_simd_level();
    std::string available;
    if (detected == SimdLevel::Neon) {
      available = "\"neon\"";
    } else {
      for (int level = 0; level <= static_cast<int>(detected); ++level) {
        if (!available.empty()) available += ", ";
        available += std::string("\"") + simd_level_name(static_cast<SimdLevel>(level)) + "\"";
      }
    }
    SimdLevel chosen, requested;
    std::string requested_text = "null";
    if (choose_simd_level(&chosen, &requested) == DC_STATUS_OK && requested != detected) {
      requested_text = std::string("\"") + simd_level_name(requested) + "\"";
    }
    char json[1024];
    const int length = std::snprintf(
        json, sizeof(json),
        "{\"simd\": \"%s\", \"simd_detected\": \"%s\", \"simd_requested\": %s, "
        "\"simd_available\": [%s], \"threads\": %zu, \"cores\": %u, \"cache_line\": %u, "
        "\"architecture\": \"%s\", \"memory_alignment\": %llu}",
        simd_level_name(active), simd_level_name(detected), requested_text.c_str(),
        available.c_str(), thread_count(), physical_cores(), kCacheLineBytes, kArchitecture,
        static_cast<unsigned long long>(kMemoryAlignment));
    if (length < 0) return fail(DC_STATUS_INTERNAL, "could not format the capabilities");
    plugin_support::copy_string_out(json, static_cast<size_t>(length), buffer, capacity,
                                    out_required);
  } catch (const std::exception& error) {
    return fail(DC_STATUS_INTERNAL, "cpu capabilities failed: %s", error.what());
  }
  return DC_STATUS_OK;
}

/// Work runs synchronously, so by the time this is called every stream is idle.
dc_status synchronize(int32_t device) { return check_device(device); }

}  // namespace

dc_status check_device(int32_t device) noexcept {
  if (device == 0) return DC_STATUS_OK;
  return fail(DC_STATUS_INVALID_ARGUMENT, "cpu has one device (index 0); got device %d",
              static_cast<int>(device));
}

const dc_device_iface device_iface = {
    sizeof(dc_device_iface), count, info, capabilities, synchronize,
};

}  // namespace dotcompute::cpu
