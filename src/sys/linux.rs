//! Linux: POSIX shared memory in `/dev/shm`, shared futexes, the parent process, and
//! `dlopen`.

mod bell;
mod files;
mod library;
mod process;
mod shm;

pub(crate) use bell::{current_cpu, move_off_cpu, Bell};
#[cfg(test)]
pub(crate) use files::create_dir_others_can_use;
pub(crate) use files::{
    create_private_dir, ensure_private_dir, is_runnable_file, server_cache_roots,
    write_private_executable, write_private_file,
};
pub(crate) use library::{
    clear_last_error, last_error, load_library, IS_WINDOWS, LIBRARY_PATH_VAR,
};
pub(crate) use process::{
    describe_exit, exit_immediately, prefer_huge_pages, prepare_server_process, process_alive,
    spawn_failure_is_transient, Parent,
};
pub(crate) use shm::{create_mapping, leftover_names, open_mapping, unlink, unmap, MappingHandle};
