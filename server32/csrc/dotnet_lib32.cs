// A .NET Framework class library for the `dotnet` wrapper of loadlib's 32-bit server,
// compiled by Mono's `mcs -target:library` (see server32/build.rs) into dotnet_lib32.dll
// and hosted in the server by the embedded 32-bit Mono runtime.
//
// Its classes and methods are those of the original tool's dotnet_lib32.dll, where the
// original's examples call them: `BasicMath` and `ArrayManipulation` in the `DotNetMSL`
// namespace, `StringManipulation` and `StaticClass` at the top level (no namespace).

using System;

namespace DotNetMSL
{
    /// <summary>Arithmetic on scalars; an instance class (created with its default constructor).</summary>
    public class BasicMath
    {
        public int add_integers(int a, int b)
        {
            return a + b;
        }

        public float divide_floats(float a, float b)
        {
            return a / b;
        }

        public double multiply_doubles(double a, double b)
        {
            return a * b;
        }

        public double add_or_subtract(double a, double b, bool do_addition)
        {
            return do_addition ? a + b : a - b;
        }
    }

    /// <summary>Arrays in and out: a vector (double[]) and a matrix (double[,]).</summary>
    public class ArrayManipulation
    {
        public double[] scalar_multiply(double a, double[] xin)
        {
            double[] xout = new double[xin.Length];
            for (int i = 0; i < xin.Length; i++)
            {
                xout[i] = a * xin[i];
            }
            return xout;
        }

        /// <summary>The product a1 × a2; for shapes that do not multiply, a message on
        /// the console and an empty (0 × 0) matrix, as the original returns.</summary>
        public double[,] multiply_matrices(double[,] a1, double[,] a2)
        {
            int rows = a1.GetLength(0);
            int inner = a1.GetLength(1);
            int cols = a2.GetLength(1);
            if (a2.GetLength(0) != inner)
            {
                Console.WriteLine("cannot multiply a {0}x{1} matrix by a {2}x{3} matrix",
                    rows, inner, a2.GetLength(0), cols);
                return new double[0, 0];
            }
            double[,] a = new double[rows, cols];
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < cols; c++)
                {
                    double sum = 0.0;
                    for (int k = 0; k < inner; k++)
                    {
                        sum += a1[r, k] * a2[k, c];
                    }
                    a[r, c] = sum;
                }
            }
            return a;
        }
    }
}

/// <summary>Text in and out (outside the namespace, as in the original).</summary>
public class StringManipulation
{
    public string reverse_string(string original)
    {
        char[] chars = original.ToCharArray();
        Array.Reverse(chars);
        return new string(chars);
    }
}

/// <summary>Static methods, called without an instance (outside the namespace).</summary>
public static class StaticClass
{
    public static int add_multiple(int a, int b, int c, int d, int e)
    {
        return a + b + c + d + e;
    }

    public static string concatenate(string a, string b, string c, bool d, string e)
    {
        string res = a + b + c;
        if (d)
        {
            res += e;
        }
        return res;
    }
}
