! fortran_lib32.f90: the Fortran example library of loadlib (built as a 32-bit and a
! 64-bit shared library by server32/build.rs). Arguments are passed by reference, as
! Fortran does; bind(c) fixes each exported name. The procedures are external (not in a
! module), so compiling writes no .mod file next to the source.

! the sum of two 8-bit integers
function sum_8bit(a, b) result(value) bind(c, name='sum_8bit')
    use iso_c_binding
    implicit none
    integer(c_int8_t), intent(in) :: a, b
    integer(c_int8_t) :: value
    value = a + b
end function sum_8bit

! the sum of two 16-bit integers
function sum_16bit(a, b) result(value) bind(c, name='sum_16bit')
    use iso_c_binding
    implicit none
    integer(c_int16_t), intent(in) :: a, b
    integer(c_int16_t) :: value
    value = a + b
end function sum_16bit

! the sum of two 32-bit integers
function sum_32bit(a, b) result(value) bind(c, name='sum_32bit')
    use iso_c_binding
    implicit none
    integer(c_int32_t), intent(in) :: a, b
    integer(c_int32_t) :: value
    value = a + b
end function sum_32bit

! the sum of two 64-bit integers
function sum_64bit(a, b) result(value) bind(c, name='sum_64bit')
    use iso_c_binding
    implicit none
    integer(c_int64_t), intent(in) :: a, b
    integer(c_int64_t) :: value
    value = a + b
end function sum_64bit

! the product of two single-precision reals
function multiply_float32(a, b) result(value) bind(c, name='multiply_float32')
    use iso_c_binding
    implicit none
    real(c_float), intent(in) :: a, b
    real(c_float) :: value
    value = a * b
end function multiply_float32

! the product of two double-precision reals
function multiply_float64(a, b) result(value) bind(c, name='multiply_float64')
    use iso_c_binding
    implicit none
    real(c_double), intent(in) :: a, b
    real(c_double) :: value
    value = a * b
end function multiply_float64

! whether a is greater than zero
function is_positive(a) result(value) bind(c, name='is_positive')
    use iso_c_binding
    implicit none
    real(c_double), intent(in) :: a
    ! A default LOGICAL (4 bytes under gfortran), as in the original tool's library.
    logical :: value
    value = a > 0.d0
end function is_positive

! a + b if do_addition, else a - b
function add_or_subtract(a, b, do_addition) result(value) bind(c, name='add_or_subtract')
    use iso_c_binding
    implicit none
    integer(c_int32_t), intent(in) :: a, b
    logical, intent(in) :: do_addition
    integer(c_int32_t) :: value
    if (do_addition) then
        value = a + b
    else
        value = a - b
    end if
end function add_or_subtract

! n! as a double (0 for n < 0)
function factorial(n) result(value) bind(c, name='factorial')
    use iso_c_binding
    implicit none
    integer(c_int8_t), intent(in) :: n
    real(c_double) :: value
    integer :: i
    if (n < 0) then
        value = 0.d0
        return
    end if
    value = 1.d0
    do i = 2, n
        value = value * i
    end do
end function factorial

! the sample standard deviation of a(1:n)
function standard_deviation(a, n) result(value) bind(c, name='standard_deviation')
    use iso_c_binding
    implicit none
    integer(c_int32_t), intent(in) :: n
    real(c_double), intent(in) :: a(n)
    real(c_double) :: value
    value = sqrt(sum((a - sum(a) / n)**2) / (n - 1))
end function standard_deviation

! the Bessel function of the first kind of order 0
function besselj0(x) result(value) bind(c, name='besselj0')
    use iso_c_binding
    implicit none
    real(c_double), intent(in) :: x
    real(c_double) :: value
    value = bessel_j0(x)
end function besselj0

! rev(1:n) = orig(n:1:-1), then a terminating NUL
subroutine reverse_string(original, n, reversed) bind(c, name='reverse_string')
    use iso_c_binding
    implicit none
    integer(c_int32_t), intent(in) :: n
    character(kind=c_char), intent(in) :: original(n)
    character(kind=c_char), intent(out) :: reversed(n + 1)
    integer :: i
    do i = 1, n
        reversed(i) = original(n - i + 1)
    end do
    reversed(n + 1) = c_null_char
end subroutine reverse_string

! out = in1 + in2, element-wise, n elements
subroutine add_1d_arrays(out, in1, in2, n) bind(c, name='add_1d_arrays')
    use iso_c_binding
    implicit none
    integer(c_int32_t), intent(in) :: n
    real(c_double), intent(in) :: in1(n), in2(n)
    real(c_double), intent(out) :: out(n)
    out = in1 + in2
end subroutine add_1d_arrays

! out(r1, c2) = a1(r1, c1) x a2(r2, c2), all column-major (requires c1 == r2)
subroutine matrix_multiply(out, a1, r1, c1, a2, r2, c2) bind(c, name='matrix_multiply')
    use iso_c_binding
    implicit none
    integer(c_int32_t), intent(in) :: r1, c1, r2, c2
    real(c_double), intent(in) :: a1(r1, c1), a2(r2, c2)
    real(c_double), intent(out) :: out(r1, c2)
    out = matmul(a1, a2)
end subroutine matrix_multiply
