//! What safe code can no longer do with shared arrays (issue 18): pass one client's array
//! to another client's server, or keep a second writable handle on one.

use loadlib::foreign::{CType, Convention, Dir, ForeignLibrary, FunctionDecl, Len, Param, Ret};
use loadlib::{Client64, Error, ServerExe, SharedRef, ValueRef};
use server32::declared::cpp::CppLib;
use std::sync::Arc;

fn another_clients(e: &Error) -> bool {
    matches!(e, Error::InvalidArgument(m) if m.contains("another client"))
}

#[test]
fn a_shared_array_of_another_client_is_refused_by_calls_and_batches() {
    let a = Client64::new("testlib").unwrap();
    let b = Client64::new("testlib").unwrap();
    let mut x = a.alloc_array::<f64>(&[8]).unwrap();
    x.fill(2.0);
    // Both counters start at 1: `b`'s own first array has the same id as `x`.
    let mut own = b.alloc_array::<f64>(&[8]).unwrap();
    own.fill(5.0);
    let e = b.request32::<f64>("sum", (&x,)).unwrap_err();
    assert!(another_clients(&e), "{e}");
    let e = b
        .call("scalar_multiply_into", (3.0, &own, &mut x))
        .unwrap_err();
    assert!(another_clients(&e), "{e}");
    let e = b.batch(|bt| bt.submit("sum", (&x,))).unwrap_err();
    assert!(another_clients(&e), "{e}");
    // Nothing was written, and each client works on with its own arrays.
    assert!(x.iter().all(|&v| v == 2.0));
    assert_eq!(b.request32::<f64>("sum", (&own,)).unwrap(), 40.0);
    assert_eq!(a.request32::<f64>("sum", (&x,)).unwrap(), 16.0);
}

#[test]
fn a_shared_array_of_another_client_is_refused_by_foreign_calls() {
    let other = Client64::new("testlib").unwrap();
    let mut x = other.alloc_array::<f64>(&[4]).unwrap();
    x.fill(1.0);
    let mut y = other.alloc_array::<f64>(&[4]).unwrap();
    let builder = Client64::builder(loadlib::foreign::FOREIGN_MODULE).server(ServerExe::Bundled32);
    // SAFETY: the bundled library, declared as defined in csrc/cpp_lib32.cpp.
    let lib = unsafe { CppLib::load_with(builder, server32::paths::library("cpp", 32)) }.unwrap();
    let e = lib.scalar_multiply(2.0, &x, 4, &mut y).unwrap_err();
    assert!(another_clients(&e), "{e}");
    let mut own = lib.library().client().alloc_array::<f64>(&[4]).unwrap();
    let e = lib.scalar_multiply(2.0, &x, 4, &mut own).unwrap_err();
    assert!(another_clients(&e), "{e}");
    let mut own_x = lib.library().client().alloc_array::<f64>(&[4]).unwrap();
    own_x.fill(1.5);
    lib.scalar_multiply(2.0, &own_x, 4, &mut own).unwrap();
    assert_eq!(own[..], [3.0; 4]);
    assert!(
        y.iter().all(|&v| v == 0.0),
        "the other client's array is untouched"
    );

    // The run-time form checks the same.
    let client = Arc::new(
        Client64::builder(loadlib::foreign::FOREIGN_MODULE)
            .server(ServerExe::Bundled32)
            .start()
            .unwrap(),
    );
    let decl = FunctionDecl::new(
        "scalar_multiply",
        vec![
            Param::value("a", CType::F64),
            Param::array("xin", CType::F64, Dir::In, Len::Param(2)),
            Param::value("n", CType::I32),
            Param::array("xout", CType::F64, Dir::Out, Len::Param(2)),
        ],
        Ret::Void,
    );
    // SAFETY: as above.
    let rt = unsafe {
        ForeignLibrary::bind(
            client,
            server32::paths::library("cpp", 32),
            Convention::C,
            vec![decl],
        )
    }
    .unwrap();
    let e = rt
        .call("scalar_multiply", (2.0, &x, 4, &mut y))
        .unwrap_err();
    assert!(another_clients(&e), "{e}");
}

#[test]
fn an_in_process_connection_refuses_a_servers_array_and_the_other_way_round() {
    use loadlib::server::{Args, Dispatch, IntoReply, Method, Reply, ServerError};
    use loadlib::Connection;
    struct Sum;
    impl Dispatch for Sum {
        fn method_names(&self) -> &'static [&'static str] {
            &["sum"]
        }
        fn dispatch<'a>(
            &mut self,
            method: Method<'_>,
            args: &Args<'a>,
        ) -> Result<Reply<'a>, ServerError> {
            match method.index() {
                Some(0) => args.arg::<&[f64]>(0)?.iter().sum::<f64>().into_reply(),
                _ => Err(method.unknown()),
            }
        }
    }
    let conn = Connection::in_process(Sum).unwrap();
    let server = Client64::new("testlib").unwrap();
    let mut theirs = server.alloc_array::<f64>(&[3]).unwrap();
    theirs.fill(1.0);
    let mut mine = conn.alloc_array::<f64>(&[3]).unwrap();
    mine.fill(2.0);
    assert!(another_clients(
        &conn.request::<f64>("sum", (&theirs,)).unwrap_err()
    ));
    assert!(another_clients(
        &server.request32::<f64>("sum", (&mine,)).unwrap_err()
    ));
    assert_eq!(conn.request::<f64>("sum", (&mine,)).unwrap(), 6.0);
    assert_eq!(server.request32::<f64>("sum", (&theirs,)).unwrap(), 3.0);
}

#[test]
fn one_writable_shared_array_named_twice_in_a_call_is_refused() {
    let c = Client64::new("testlib").unwrap();
    let mut out = c.alloc_array::<f64>(&[4]).unwrap();
    let w = ValueRef::from(&mut out);
    let ValueRef::Shared(ws) = &w else {
        panic!("{w:?}")
    };
    assert!(ws.is_writable());
    assert!(!ws.read_only().is_writable());
    assert!(w.reborrow().type_name().starts_with("array<f64"));
    // Two writable references (reborrowed) in one call: the server refuses the block.
    let e = c
        .call("accumulate", &[w.reborrow(), w.reborrow()][..])
        .unwrap_err();
    assert!(
        matches!(&e, Error::Server32 { name, message, .. } if name == "ProtocolError" && message.contains("overlaps")),
        "{e}"
    );
    // A read-only reference cannot stand where the server writes.
    let x = [1.0; 4];
    let ValueRef::Shared(ws) = &w else {
        panic!("{w:?}")
    };
    let r = ValueRef::Shared(ws.read_only());
    let e = c
        .call("scalar_multiply_into", (2.0, &x[..], r))
        .unwrap_err();
    assert!(
        matches!(&e, Error::Server32 { name, .. } if name == "TypeError"),
        "{e}"
    );
    drop(w);
    assert!(out.iter().all(|&v| v == 0.0));
    let s: SharedRef<'_> = (&out).into();
    assert_eq!(s.byte_len(), 32);
    assert_eq!(c.request32::<i32>("add", (1, 2)).unwrap(), 3);
}
