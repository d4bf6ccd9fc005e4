//! Enums that are stored in the database and sent over the wire under one
//! name. [`stored_enum!`] declares such an enum once, each variant with its
//! name (`InProgress = "IN_PROGRESS"`): the serde name and the column value are
//! that one literal by construction, so they cannot drift apart, and with the `db` feature (turned on by the store)
//! the enum is a SeaORM column type: entities hold `DeliveryStatus`, not
//! `String`, and a row with an unknown value is a read error, not a default.

/// Declares a stored enum of unit variants (see the module docs). Adds
/// `Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize`,
/// `name()`, `parse()`, `ALL` and `Display`.
#[macro_export]
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize,
        )]
        #[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
        #[cfg_attr(feature = "db", sea_orm(rs_type = "String", db_type = "Text"))]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $value)]
                #[cfg_attr(feature = "db", sea_orm(string_value = $value))]
                $variant,
            )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored and wire name (`IN_PROGRESS`).
            pub fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $value, )+
                }
            }

            /// The variant of a stored or wire name.
            pub fn parse(name: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.name() == name)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use crate::delivery::session::DeliveryStatus;

    #[test]
    fn names_parse_display_and_serde_agree() {
        for s in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(s.name()), Some(*s));
            assert_eq!(s.to_string(), s.name());
            assert_eq!(
                serde_json::to_value(s).unwrap(),
                serde_json::Value::String(s.name().into())
            );
        }
        assert_eq!(DeliveryStatus::AutoSubmitted.name(), "AUTO_SUBMITTED");
        assert_eq!(DeliveryStatus::parse("in_progress"), None);
    }
}
