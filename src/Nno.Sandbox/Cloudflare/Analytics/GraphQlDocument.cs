using System.Globalization;
using System.Text;

namespace Nno.Sandbox.Cloudflare.Analytics;

/// <summary>A GraphQL value as written in the query (variables are resolved later, against the request's variables).</summary>
internal abstract record GqlValue;

internal sealed record GqlVariable(string Name) : GqlValue;

internal sealed record GqlScalar(object? Value) : GqlValue;

internal sealed record GqlEnum(string Name) : GqlValue;

internal sealed record GqlList(IReadOnlyList<GqlValue> Items) : GqlValue;

internal sealed record GqlObject(IReadOnlyList<KeyValuePair<string, GqlValue>> Fields) : GqlValue;

/// <summary>One selected field: <c>alias: name(arguments) { selections }</c>.</summary>
internal sealed record GqlField(string? Alias, string Name, IReadOnlyList<KeyValuePair<string, GqlValue>> Arguments, IReadOnlyList<GqlField> Selections)
{
    public string ResponseKey => Alias ?? Name;
}

/// <summary>A parsed query operation: its variable defaults and its top-level selections.</summary>
internal sealed record GqlOperation(IReadOnlyDictionary<string, GqlValue> VariableDefaults, IReadOnlyList<GqlField> Selections);

/// <summary>A syntax or shape error, reported as a GraphQL error (never an HTTP failure).</summary>
internal sealed class GraphQlException(string message) : Exception(message);

/// <summary>
/// A small recursive-descent parser for the one GraphQL shape the analytics emulator answers: a single query
/// operation with optional variable definitions, fields with aliases and arguments (objects, lists, variables,
/// literals). Fragments, directives and mutations are refused, which is what "anything else is an error" needs.
/// </summary>
internal sealed class GraphQlParser
{
    private readonly string _text;
    private int _pos;

    private GraphQlParser(string text) => _text = text;

    public static GqlOperation Parse(string query)
    {
        var parser = new GraphQlParser(query);
        var operation = parser.ParseOperation();
        parser.SkipIgnored();
        if (parser._pos < parser._text.Length)
        {
            throw new GraphQlException("Only one operation per document is supported.");
        }

        return operation;
    }

    private GqlOperation ParseOperation()
    {
        SkipIgnored();
        var defaults = new Dictionary<string, GqlValue>(StringComparer.Ordinal);
        if (Peek() != '{')
        {
            var keyword = ReadName();
            if (keyword != "query")
            {
                throw new GraphQlException($"Operation type '{keyword}' is not supported; only queries are.");
            }

            SkipIgnored();
            if (IsNameStart(Peek()))
            {
                ReadName();
                SkipIgnored();
            }

            if (Peek() == '(')
            {
                ParseVariableDefinitions(defaults);
            }

            SkipIgnored();
            if (Peek() == '@')
            {
                throw new GraphQlException("Directives are not supported.");
            }
        }

        return new GqlOperation(defaults, ParseSelectionSet());
    }

    private void ParseVariableDefinitions(Dictionary<string, GqlValue> defaults)
    {
        Expect('(');
        while (true)
        {
            SkipIgnored();
            if (Peek() == ')')
            {
                _pos++;
                return;
            }

            Expect('$');
            var name = ReadName();
            SkipIgnored();
            Expect(':');
            SkipType();
            SkipIgnored();
            if (Peek() == '=')
            {
                _pos++;
                defaults[name] = ParseValue(constant: true);
            }
        }
    }

    private void SkipType()
    {
        SkipIgnored();
        if (Peek() == '[')
        {
            _pos++;
            SkipType();
            SkipIgnored();
            Expect(']');
        }
        else
        {
            ReadName();
        }

        SkipIgnored();
        if (Peek() == '!')
        {
            _pos++;
        }
    }

    private List<GqlField> ParseSelectionSet()
    {
        SkipIgnored();
        Expect('{');
        var fields = new List<GqlField>();
        while (true)
        {
            SkipIgnored();
            var c = Peek();
            if (c == '}')
            {
                _pos++;
                if (fields.Count == 0)
                {
                    throw new GraphQlException("A selection set cannot be empty.");
                }

                return fields;
            }

            if (c == '.')
            {
                throw new GraphQlException("Fragments are not supported.");
            }

            fields.Add(ParseField());
        }
    }

    private GqlField ParseField()
    {
        string? alias = null;
        var name = ReadName();
        SkipIgnored();
        if (Peek() == ':')
        {
            _pos++;
            SkipIgnored();
            alias = name;
            name = ReadName();
            SkipIgnored();
        }

        var arguments = new List<KeyValuePair<string, GqlValue>>();
        if (Peek() == '(')
        {
            _pos++;
            while (true)
            {
                SkipIgnored();
                if (Peek() == ')')
                {
                    _pos++;
                    break;
                }

                var argName = ReadName();
                SkipIgnored();
                Expect(':');
                arguments.Add(new(argName, ParseValue(constant: false)));
            }

            SkipIgnored();
        }

        if (Peek() == '@')
        {
            throw new GraphQlException("Directives are not supported.");
        }

        var selections = Peek() == '{' ? ParseSelectionSet() : [];
        return new GqlField(alias, name, arguments, selections);
    }

    private GqlValue ParseValue(bool constant)
    {
        SkipIgnored();
        var c = Peek();
        switch (c)
        {
            case '$':
                if (constant)
                {
                    throw new GraphQlException("A variable cannot appear in a default value.");
                }

                _pos++;
                return new GqlVariable(ReadName());
            case '"':
                return new GqlScalar(ReadString());
            case '[':
            {
                _pos++;
                var items = new List<GqlValue>();
                while (true)
                {
                    SkipIgnored();
                    if (Peek() == ']')
                    {
                        _pos++;
                        return new GqlList(items);
                    }

                    items.Add(ParseValue(constant));
                }
            }

            case '{':
            {
                _pos++;
                var fields = new List<KeyValuePair<string, GqlValue>>();
                while (true)
                {
                    SkipIgnored();
                    if (Peek() == '}')
                    {
                        _pos++;
                        return new GqlObject(fields);
                    }

                    var name = ReadName();
                    SkipIgnored();
                    Expect(':');
                    fields.Add(new(name, ParseValue(constant)));
                }
            }
        }

        if (c == '-' || char.IsAsciiDigit(c))
        {
            return new GqlScalar(ReadNumber());
        }

        var word = ReadName();
        return word switch
        {
            "true" => new GqlScalar(true),
            "false" => new GqlScalar(false),
            "null" => new GqlScalar(null),
            _ => new GqlEnum(word),
        };
    }

    private object ReadNumber()
    {
        var start = _pos;
        if (Peek() == '-')
        {
            _pos++;
        }

        while (_pos < _text.Length && (char.IsAsciiDigit(_text[_pos]) || _text[_pos] is '.' or 'e' or 'E' or '+' or '-'))
        {
            _pos++;
        }

        var token = _text[start.._pos];
        if (long.TryParse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            return integer;
        }

        if (double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        throw new GraphQlException($"Invalid number '{token}'.");
    }

    private string ReadString()
    {
        Expect('"');
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw new GraphQlException("Unterminated string.");
            }

            var c = _text[_pos++];
            if (c == '"')
            {
                return sb.ToString();
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            if (_pos >= _text.Length)
            {
                throw new GraphQlException("Unterminated string.");
            }

            var escaped = _text[_pos++];
            switch (escaped)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'u' when _pos + 4 <= _text.Length
                    && int.TryParse(_text.AsSpan(_pos, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                    sb.Append((char)code);
                    _pos += 4;
                    break;
                case '"' or '\\' or '/': sb.Append(escaped); break;
                default: throw new GraphQlException($"Invalid escape '\\{escaped}' in a string.");
            }
        }
    }

    private string ReadName()
    {
        SkipIgnored();
        var start = _pos;
        if (!IsNameStart(Peek()))
        {
            throw new GraphQlException(_pos >= _text.Length
                ? "Unexpected end of the query."
                : $"Syntax error at position {_pos}: unexpected '{_text[_pos]}'.");
        }

        while (_pos < _text.Length && (IsNameStart(_text[_pos]) || char.IsAsciiDigit(_text[_pos])))
        {
            _pos++;
        }

        return _text[start.._pos];
    }

    private void Expect(char c)
    {
        SkipIgnored();
        if (Peek() != c)
        {
            throw new GraphQlException(_pos >= _text.Length
                ? $"Unexpected end of the query; expected '{c}'."
                : $"Syntax error at position {_pos}: expected '{c}', found '{_text[_pos]}'.");
        }

        _pos++;
    }

    private char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    // Whitespace, commas and # comments are insignificant in GraphQL.
    private void SkipIgnored()
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c == '#')
            {
                while (_pos < _text.Length && _text[_pos] != '\n')
                {
                    _pos++;
                }
            }
            else if (char.IsWhiteSpace(c) || c == ',' || c == '\uFEFF')
            {
                _pos++;
            }
            else
            {
                return;
            }
        }
    }
}
