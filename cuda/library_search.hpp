// cuda/library_search.hpp
// Where the CUDA libraries loaded at run time (NVRTC, cuBLAS, cuFFT) are looked for.
#pragma once

#include <string>
#include <vector>

namespace dotcompute::cuda {

/// Note [Finding CUDA libraries]
/// A library with file stem `stem` ("libnvrtc.so", "libcublas.so") is looked for, first match
/// wins, in: every directory of the ':'-separated environment variable `directories_variable`
/// (the Python package sets it to the lib directories of the nvidia-* pip wheels, which C++
/// cannot find by itself), $CUDA_HOME/lib64, $CUDA_PATH/lib64, /usr/local/cuda/lib64, and then
/// the system loader with stem.<preferred major>, stem.13, stem.12, stem. In a directory the
/// files of the preferred major come first (a library newer than the driver may emit what the
/// driver cannot run), then the others, newest first. `missing` (optional) collects the
/// directories that held no such file, for the message when nothing is found.
std::vector<std::string> library_candidates(const std::string& stem,
                                            const char* directories_variable, int preferred_major,
                                            std::string* missing);

/// Opens a shared library RTLD_NOW|RTLD_LOCAL; on failure appends "\n  path (why)" to *tried.
void* open_candidate(const std::string& candidate, std::string* tried);

}  // namespace dotcompute::cuda
